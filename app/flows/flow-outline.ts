/**
 * A flow's steps as a list a person reads: each with its id, a title (its
 * name, or what it does: `expect json $.type equals "joined" on bob`), its
 * line and how deep in repeats it sits. The flow tab lists this before a run.
 */
import type { Flow, FlowStep } from './flow-file.js';
import type { FlowOutlineStep } from './flow-report.js';

export function flowOutline(flow: Flow): FlowOutlineStep[] {
  const out: FlowOutlineStep[] = [];
  const walk = (steps: readonly FlowStep[], depth: number) => {
    for (const step of steps) {
      out.push({
        id: step.id,
        type: step.type,
        title: stepTitle(step),
        line: step.line,
        depth,
        connection: 'connection' in step ? step.connection : undefined,
      });
      if (step.type === 'repeat') walk(step.steps, depth + 1);
    }
  };
  walk(flow.steps, 0);
  return out;
}

/** The step's name, or a short description of what it does. */
export function stepTitle(step: FlowStep): string {
  if (step.label) return step.label;
  switch (step.type) {
    case 'connect':
      return `connect ${step.connection}${step.saved !== undefined ? ` (${step.saved})` : ''}${step.url !== undefined ? ` to ${step.url}` : ''}`;
    case 'send': {
      const p = step.payload;
      const what =
        p.kind === 'text'
          ? short(p.text)
          : p.kind === 'json'
            ? short(JSON.stringify(p.json))
            : `${p.kind} ${short(p.kind === 'hex' ? p.hex : p.base64)}`;
      return `send ${what} on ${step.connection}`;
    }
    case 'expect':
      if (step.kind === 'close')
        return `expect ${step.connection} closed${step.code === undefined ? '' : ` with ${step.code}`}`;
      if (step.kind === 'none') return `expect nothing on ${step.connection} for ${step.withinMs} ms`;
      return `expect ${short(matcherTitle(step.match))} on ${step.connection}`;
    case 'capture':
      return `capture ${step.variable} from ${step.connection}`;
    case 'wait':
      return `wait ${step.ms} ms`;
    case 'ping':
      return `ping ${step.connection}`;
    case 'close':
      return `close ${step.connection}${step.code === undefined ? '' : ` with ${step.code}`}`;
    case 'repeat':
      return 'times' in step.loop
        ? `repeat ${step.loop.times} times`
        : 'over' in step.loop
          ? `repeat over ${step.loop.over.length} items`
          : `repeat over ${step.loop.overVariable}`;
  }
}

function matcherTitle(match: object): string {
  const [key, value] = Object.entries(match)[0] ?? ['', ''];
  if (key === 'kind') return `a ${String(value)} message`;
  if (key === 'json') {
    const j = value as { path: string; equals?: unknown; exists?: boolean; regex?: string };
    const test =
      j.equals !== undefined
        ? `= ${JSON.stringify(j.equals)}`
        : j.exists !== undefined
          ? j.exists
            ? 'exists'
            : 'absent'
          : `~ /${j.regex}/`;
    return `${j.path} ${test}`;
  }
  if (key === 'text') {
    const t = value as { equals?: string; contains?: string; regex?: string };
    return t.equals !== undefined
      ? JSON.stringify(t.equals)
      : t.contains !== undefined
        ? `text with ${JSON.stringify(t.contains)}`
        : `/${t.regex}/`;
  }
  return `${key} …`;
}

function short(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
