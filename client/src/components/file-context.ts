// What a file card needs from the room, handed down through Svelte's context
// so the message list does not have to pass it along.
import { getContext, setContext } from 'svelte';
import type { PeerId } from '../../../protocol/index.ts';
import type { Files } from '../lib/files/files.ts';

export interface FileContext {
  files(): Files | undefined;
  /** Changes whenever the room's state does: read it to follow transfers. */
  revision(): number;
  selfId(): PeerId | undefined;
}

const key = Symbol('files');

export function setFileContext(context: FileContext): void {
  setContext(key, context);
}

export function getFileContext(): FileContext {
  return getContext<FileContext>(key);
}
