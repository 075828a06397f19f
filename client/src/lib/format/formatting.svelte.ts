// markdown-it is the largest part of the page and only a room draws messages,
// so the parser loads on its own: a room starts loading it as it opens, and
// shows its messages once it is here (Room.svelte), so none flashes
// unformatted. Until then, or if it cannot load, messages are shown as typed.
import { plainMessage, type FormatNode } from './nodes.ts';

let parse = $state.raw<((text: string) => FormatNode[]) | undefined>();
let loading: Promise<void> | undefined;

/** Starts loading the parser, once; resolves when it is ready or has failed (a later call tries again). */
export function loadFormatting(): Promise<void> {
  loading ??= import('./markdown.ts').then(
    (markdown) => void (parse = markdown.formatMessage),
    () => void (loading = undefined),
  );
  return loading;
}

/** The message as drawn: formatted when asked and the parser is here, as typed otherwise. */
export function drawnMessage(text: string, formatting: boolean): FormatNode[] {
  return formatting && parse ? parse(text) : plainMessage(text);
}
