/**
 * Flow reports as text: the terminal's step lines, and JUnit XML for CI
 * (one testsuite per flow, one testcase per executed step). Pure.
 */
import type { FlowRunReport, FlowStepResult } from './flow-report.js';

/** `✓ steps[2] alice says hello (3 ms)`, and for a failure the message on the next line. */
export function stepLine(step: FlowStepResult): string {
  const mark = step.status === 'passed' ? '✓' : step.status === 'failed' ? '✗' : '-';
  const rounds = step.rounds.length > 0 ? ` [round ${step.rounds.map((r) => r + 1).join('.')}]` : '';
  const time = step.status === 'skipped' ? ' (skipped)' : ` (${formatMs(step.durationMs)})`;
  const head = `  ${mark} ${step.title}${rounds}${time}`;
  return step.status === 'failed' && step.message ? `${head}\n      ${step.message}` : head;
}

/** `chat: 12 passed, 1 failed, 2 skipped in 340 ms`. */
export function summaryLine(report: FlowRunReport): string {
  const status = report.status === 'passed' ? 'passed' : report.status === 'stopped' ? 'stopped' : 'FAILED';
  return `${report.flow}: ${status}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped in ${formatMs(report.durationMs)}`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** JUnit XML as CI servers read it (Jenkins, GitLab, GitHub test reporters): times in seconds. */
export function junitReport(reports: readonly FlowRunReport[]): string {
  const sum = (pick: (r: FlowRunReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="duplex test" tests="${sum((r) => r.steps.length)}" failures="${sum((r) => r.failed)}" skipped="${sum((r) => r.skipped)}" time="${seconds(sum((r) => r.durationMs))}">`,
  ];
  for (const r of reports) {
    lines.push(
      `  <testsuite name="${attr(r.flow)}" file="${attr(r.file)}" tests="${r.steps.length}" failures="${r.failed}" errors="0" skipped="${r.skipped}" time="${seconds(r.durationMs)}" timestamp="${new Date(r.startedAt).toISOString()}">`,
    );
    for (const step of r.steps) {
      const rounds = step.rounds.length > 0 ? ` [round ${step.rounds.map((n) => n + 1).join('.')}]` : '';
      const open = `    <testcase classname="${attr(r.flow)}" name="${attr(`${step.stepId} ${step.title}${rounds}`)}" time="${seconds(step.durationMs)}"`;
      if (step.status === 'passed') lines.push(`${open}/>`);
      else if (step.status === 'skipped') lines.push(`${open}>`, '      <skipped/>', '    </testcase>');
      else {
        const body = [
          step.message ?? 'failed',
          step.expected === undefined ? undefined : `expected: ${step.expected}`,
          step.received?.length ? `received:\n${step.received.map((m) => `  ${m}`).join('\n')}` : undefined,
        ].filter((part) => part !== undefined);
        lines.push(
          `${open}>`,
          `      <failure message="${attr(step.message ?? 'failed')}" type="${step.type}">${text(body.join('\n'))}</failure>`,
          '    </testcase>',
        );
      }
    }
    if (r.error) lines.push(`    <system-err>${text(r.error.message)}</system-err>`);
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** XML 1.0 has no escape for most control characters: they are left out. */
function text(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
  );
}

function attr(value: string): string {
  return text(value)
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
