/**
 * For component tests: the composer's editor lives in a shadow root, out of
 * reach of Testing Library's screen queries. These find its CodeMirror view and
 * type into it as a person does (one user input transaction). Not imported by
 * the app.
 */
import { EditorView } from '@codemirror/view';
import { tick } from 'svelte';

/** The CodeMirror view of the composer inside `root` (the only one, or the first). */
export function composerEditor(root: ParentNode = document): EditorView {
  const content = root.querySelector('.code-editor')?.shadowRoot?.querySelector('.cm-content');
  const view = content instanceof HTMLElement ? EditorView.findFromDOM(content) : null;
  if (!view) throw new Error('No composer editor is mounted.');
  return view;
}

/** Replaces the composer's text as typing does, then lets Svelte update. */
export async function typeInComposer(text: string, root: ParentNode = document): Promise<void> {
  const view = composerEditor(root);
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, userEvent: 'input.type' });
  await tick();
}
