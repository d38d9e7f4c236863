/**
 * The Source view of a mock tab: CodeMirror over the mock file's text, with
 * the file's problem (the engine's line, or the YAML reader's) marked on its
 * line. The composer's theme and shadow-root mounting (code-editor.ts), so
 * the page's CSP needs nothing more.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import { bracketMatching, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState, Prec } from '@codemirror/state';
import { drawSelection, EditorView, highlightSpecialChars, keymap, lineNumbers } from '@codemirror/view';
import { highlight, replaceSelectionOnInput, theme } from './code-editor.js';

export interface SourceEditor {
  readonly view: EditorView;
  setDoc(text: string): void;
  /** Marks `line` (1-based) with the message, or clears the marks. */
  setProblem(problem: { line?: number; message: string } | undefined): void;
  destroy(): void;
}

export function createSourceEditor(options: {
  parent: ShadowRoot;
  doc: string;
  label: string;
  /** JSON files get JSON highlighting, the others YAML's. */
  json: boolean;
  onchange: (text: string) => void;
  /** Ctrl+S / ⌘+S. */
  onsave: () => void;
}): SourceEditor {
  let applying = false;
  const view = new EditorView({
    root: options.parent,
    parent: options.parent,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        Prec.highest(
          keymap.of([
            {
              key: 'Mod-s',
              preventDefault: true,
              run: () => {
                options.onsave();
                return true;
              },
            },
          ]),
        ),
        lineNumbers(),
        lintGutter(),
        history(),
        drawSelection(),
        highlightSpecialChars(),
        bracketMatching(),
        syntaxHighlighting(highlight),
        options.json ? json() : yaml(),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ 'aria-label': options.label, spellcheck: 'false' }),
        replaceSelectionOnInput,
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !applying) options.onchange(update.state.doc.toString());
        }),
        theme,
        EditorView.theme({
          '.cm-gutters': {
            backgroundColor: 'var(--surface-2)',
            color: 'var(--text-faint)',
            borderRight: '1px solid var(--border)',
          },
        }),
      ],
    }),
  });
  return {
    view,
    setDoc(text) {
      if (view.state.doc.toString() === text) return;
      applying = true;
      try {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      } finally {
        applying = false;
      }
    },
    setProblem(problem) {
      const doc = view.state.doc;
      if (!problem || problem.line === undefined || problem.line < 1) {
        view.dispatch(setDiagnostics(view.state, []));
        return;
      }
      const line = doc.line(Math.min(problem.line, doc.lines));
      view.dispatch(
        setDiagnostics(view.state, [
          { from: line.from, to: Math.max(line.to, line.from), severity: 'error', message: problem.message },
        ]),
      );
    },
    destroy() {
      view.destroy();
    },
  };
}
