/**
 * The composer's editor: CodeMirror 6 with JSON highlighting, and lint markers
 * for the draft's problem (bad JSON, the bad hex character). Mounted in a
 * shadow root: there CodeMirror's style-mod uses a constructed stylesheet,
 * which the page's `style-src 'self'` allows, where a <style> element would be
 * refused; so the editor needs no change to the Content-Security-Policy.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { bracketMatching, HighlightStyle, syntaxHighlighting, syntaxTree } from '@codemirror/language';
import { forceLinting, linter, type Diagnostic } from '@codemirror/lint';
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightSpecialChars,
  keymap,
  placeholder as placeholderText,
} from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { draftProblem, type ComposerMode } from './compose-payload.js';

export interface CodeEditorOptions {
  /** A shadow root (or any element inside one) to mount in. */
  parent: ShadowRoot;
  doc: string;
  mode: ComposerMode;
  label: string;
  placeholder: string;
  onchange: (text: string) => void;
  /** Ctrl+Enter / ⌘+Enter. */
  onsubmit: () => void;
}

export interface CodeEditor {
  readonly view: EditorView;
  setMode(mode: ComposerMode, placeholder: string): void;
  /** Replaces the text when it differs (a template, Format, edit-and-resend). */
  setDoc(text: string): void;
  setInvalid(invalid: boolean): void;
  /** Runs the linter now instead of after the typing pause. */
  lintNow(): void;
  destroy(): void;
}

/** Colours come from the app's theme variables, so light and dark need no second theme. */
export const highlight = HighlightStyle.define([
  { tag: tags.propertyName, color: 'var(--syn-key)' },
  { tag: tags.string, color: 'var(--syn-string)' },
  { tag: tags.number, color: 'var(--syn-number)' },
  { tag: [tags.bool, tags.null], color: 'var(--syn-literal)' },
  { tag: [tags.brace, tags.squareBracket, tags.separator, tags.punctuation], color: 'var(--syn-punct)' },
]);

export const theme = EditorView.theme({
  '&': {
    flex: '1 1 0',
    minHeight: '0',
    color: 'var(--text)',
    backgroundColor: 'var(--surface)',
    border: '1px solid var(--border-strong)',
    borderRadius: '6px',
    fontSize: '12.5px',
  },
  '&.cm-focused': { outline: '2px solid var(--focus)', outlineOffset: '-1px' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.45', overflow: 'auto' },
  '.cm-content': { padding: '6px 0', caretColor: 'var(--text)' },
  '.cm-line': { padding: '0 8px' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--selected)',
  },
  '.cm-placeholder': { color: 'var(--text-faint)' },
  '&.cm-focused .cm-matchingBracket': { backgroundColor: 'var(--accent-bg)', outline: 'none' },
  '.cm-lintRange-error': {
    backgroundImage: 'none',
    textDecoration: 'underline wavy var(--danger)',
    textDecorationSkipInk: 'none',
    backgroundColor: 'var(--danger-bg)',
  },
  '.cm-tooltip': {
    backgroundColor: 'var(--surface)',
    color: 'var(--text)',
    border: '1px solid var(--border-strong)',
  },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--danger)' },
  '&[data-invalid="true"]': { borderColor: 'var(--danger)' },
});

/**
 * Typing over a selection is applied here, not by the browser: Chromium's native edit copies
 * the look of the replaced text (a token colour, a lint underline) onto the line as a style
 * attribute, which the page's CSP refuses with a console error. The result is the same.
 */
export const replaceSelectionOnInput = EditorView.domEventHandlers({
  beforeinput(event, view) {
    if (event.inputType !== 'insertText' || event.data === null || view.composing) return false;
    if (view.state.selection.ranges.every((r) => r.empty)) return false;
    event.preventDefault();
    view.dispatch(view.state.replaceSelection(event.data), { userEvent: 'input.type', scrollIntoView: true });
    return true;
  },
});

/** The draft's problem as a marker; JSON errors without a position are placed by the syntax tree. */
export function draftDiagnostics(state: EditorState, mode: ComposerMode): Diagnostic[] {
  const text = state.doc.toString();
  const problem = draftProblem(mode, text);
  if (!problem) return [];
  let from = problem.from;
  if (from === undefined) {
    from = text.length;
    syntaxTree(state).iterate({
      enter: (node) => {
        if (!node.type.isError || from! <= node.from) return;
        from = node.from;
      },
    });
  }
  from = Math.min(from, text.length);
  // Mark at least one character: a zero-width marker at the end of a line cannot be seen.
  let to = Math.max(problem.to ?? from + 1, from + 1);
  if (to > text.length) {
    from = Math.max(0, text.length - 1);
    to = text.length;
  }
  return [{ from, to, severity: 'error', message: problem.message }];
}

export function createCodeEditor(options: CodeEditorOptions): CodeEditor {
  const language = new Compartment();
  const lint = new Compartment();
  const hint = new Compartment();
  const wrap = new Compartment();
  let mode = options.mode;
  // Set while the editor applies a change from outside, so it is not echoed back.
  let applying = false;

  const parts = (m: ComposerMode, placeholder: string): [Compartment, Extension][] => [
    [language, m === 'json' ? json() : []],
    [lint, m === 'text' ? [] : linter((view) => draftDiagnostics(view.state, mode), { delay: 250 })],
    [hint, placeholderText(placeholder)],
    [wrap, m === 'text' || m === 'base64' ? EditorView.lineWrapping : []],
  ];

  const view = new EditorView({
    root: options.parent,
    parent: options.parent,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        Prec.highest(
          keymap.of([
            {
              key: 'Mod-Enter',
              preventDefault: true,
              run: () => {
                options.onsubmit();
                return true;
              },
            },
          ]),
        ),
        history(),
        drawSelection(),
        highlightSpecialChars(),
        bracketMatching(),
        syntaxHighlighting(highlight),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ 'aria-label': options.label, spellcheck: 'false' }),
        replaceSelectionOnInput,
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !applying) options.onchange(update.state.doc.toString());
        }),
        theme,
        ...parts(mode, options.placeholder).map(([compartment, ext]) => compartment.of(ext)),
      ],
    }),
  });

  return {
    view,
    setMode(next, placeholder) {
      mode = next;
      view.dispatch({
        effects: parts(next, placeholder).map(([compartment, ext]) => compartment.reconfigure(ext)),
      });
    },
    setDoc(text) {
      if (view.state.doc.toString() === text) return;
      applying = true;
      try {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      } finally {
        applying = false;
      }
    },
    setInvalid(invalid) {
      view.dom.dataset['invalid'] = String(invalid);
      view.contentDOM.setAttribute('aria-invalid', String(invalid));
    },
    lintNow() {
      forceLinting(view);
    },
    destroy() {
      view.destroy();
    },
  };
}
