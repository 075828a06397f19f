// Mirrors a RoomSession into Svelte state. Changes are coalesced to one update
// per frame, and the history is handed over as an immutable array, so a keyed
// list re-renders only the entries that changed.
import { SvelteMap } from 'svelte/reactivity';
import type { PeerId } from '../../../protocol/index.ts';
import type { ConnectionState } from './connection.ts';
import type { Entry } from './history.ts';
import { unknownName } from './names.ts';
import { RoomSession, type RoomOptions } from './room.ts';

export class RoomView {
  entries = $state.raw<readonly Entry[]>([]);
  peers = $state.raw<readonly PeerId[]>([]);
  typing = $state.raw<readonly PeerId[]>([]);
  connection = $state<ConnectionState>('connecting');
  unreadable = $state(0);
  selfId = $state<PeerId | undefined>();
  readonly names = new SvelteMap<PeerId, string>();
  #session: RoomSession | undefined;
  #scheduled = false;

  private constructor() {}

  static async open(options: Omit<RoomOptions, 'onChange'>): Promise<RoomView> {
    const view = new RoomView();
    view.#session = await RoomSession.open({ ...options, onChange: () => view.schedule() });
    view.schedule();
    return view;
  }

  get session(): RoomSession {
    if (!this.#session) throw new Error('the room is not open yet');
    return this.#session;
  }

  nameOf(peer: PeerId): string {
    return this.names.get(peer) ?? unknownName;
  }

  /** At most one update per frame; a hidden page, which gets no frames, updates from a task instead. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const run = (): void => {
      if (!this.#scheduled) return;
      this.#scheduled = false;
      this.#sync();
    };
    if (document.hidden) setTimeout(run);
    else requestAnimationFrame(run);
  }

  #sync(): void {
    const session = this.#session;
    if (!session) return;
    for (const [peer, name] of session.names) if (this.names.get(peer) !== name) this.names.set(peer, name);
    this.entries = session.history.entries();
    this.peers = [...session.peers];
    this.typing = [...session.typing.keys()];
    this.connection = session.state;
    this.unreadable = session.unreadable;
    this.selfId = session.selfId;
  }
}
