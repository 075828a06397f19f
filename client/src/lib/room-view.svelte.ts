// Mirrors a RoomSession into Svelte state. Changes are coalesced to one update
// per frame (fewer while history pours in), and the history is handed over as
// an immutable array, so a keyed list re-renders only the entries that changed.
import { SvelteMap } from 'svelte/reactivity';
import type { PeerId } from '../../../protocol/index.ts';
import type { CallSnapshot } from './calls/calls.ts';
import type { ConnectionState } from './connection.ts';
import type { Entry } from './chat/history.ts';
import type { ReactionCount } from './conversation/reactions.ts';
import { unknownName } from './names.ts';
import { RoomSession, type RoomOptions } from './room.ts';

/** An update that brings at least this many entries at once is history pouring in, not conversation. */
const historyBatchEntries = 32;
/**
 * While history pours in, the list is drawn when it pauses this long, or at
 * the latest `historyRedrawMs` after the last drawing: each batch merges
 * messages among the newest, so most of what a drawing builds the next batch
 * throws away, and time spent drawing is time not spent receiving.
 */
const historyPauseMs = 40;
const historyRedrawMs = 250;

/** Replaced whole by the session's snapshot, never changed in place. */
const noReactions: ReadonlyMap<string, readonly ReactionCount[]> = new Map();

export class RoomView {
  entries = $state.raw<readonly Entry[]>([]);
  peers = $state.raw<readonly PeerId[]>([]);
  typing = $state.raw<readonly PeerId[]>([]);
  connection = $state<ConnectionState>('connecting');
  unreadable = $state(0);
  selfId = $state<PeerId | undefined>();
  call = $state.raw<CallSnapshot | undefined>();
  /** Counts updates, for views of state that changes in place (file transfers). */
  revision = $state(0);
  reactions = $state.raw<ReadonlyMap<string, readonly ReactionCount[]>>(noReactions);
  readonly names = new SvelteMap<PeerId, string>();
  /** Each person's signing-key fingerprint, once heard from. */
  readonly fingerprints = new SvelteMap<PeerId, string>();
  #session: RoomSession | undefined;
  #scheduled = false;
  /** While history pours in: the latest time (performance.now()) for the next drawing. */
  #drawBy: number | undefined;
  #holdTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor() {}

  static async open(options: Omit<RoomOptions, 'onChange'>): Promise<RoomView> {
    const view = new RoomView();
    view.#session = await RoomSession.open({
      ...options,
      // Only the benchmark's baseline build sets it (scripts/bench-client.mjs); Vite writes the value in at build time.
      unsealedForBenchmark: import.meta.env.VITE_UNSEALED_BENCHMARK === 'true',
      onChange: () => view.schedule(),
    });
    view.schedule();
    return view;
  }

  get session(): RoomSession {
    if (!this.#session) throw new Error('the room is not open yet');
    return this.#session;
  }

  /** The entry with this id; reading `entries` first makes a caller in an effect or template redraw on every change. */
  find(id: string): Entry | undefined {
    return this.entries.length > 0 ? this.#session?.history.get(id) : undefined;
  }

  nameOf(peer: PeerId): string {
    return this.names.get(peer) ?? unknownName;
  }

  /** At most one update per frame, and fewer while history pours in. */
  schedule(): void {
    clearTimeout(this.#holdTimer);
    const hold = this.#drawBy === undefined ? 0 : Math.min(historyPauseMs, this.#drawBy - performance.now());
    if (hold > 0) this.#holdTimer = setTimeout(() => this.#updateAtNextFrame(), hold);
    else this.#updateAtNextFrame();
  }

  /** A hidden page, which gets no frames, updates from a task instead. */
  #updateAtNextFrame(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const run = (): void => {
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
    for (const peer of [session.selfId, ...session.peers]) {
      const fingerprint = peer && session.fingerprintOf(peer);
      if (fingerprint && this.fingerprints.get(peer!) !== fingerprint) this.fingerprints.set(peer!, fingerprint);
    }
    const entries = session.history.entries();
    const arrived = entries.length - this.entries.length;
    this.#drawBy = arrived >= historyBatchEntries ? performance.now() + historyRedrawMs : undefined;
    this.entries = entries;
    this.peers = [...session.peers];
    this.typing = [...session.typing.keys()];
    this.connection = session.state;
    this.unreadable = session.dropped;
    this.selfId = session.selfId;
    this.call = session.calls.snapshot();
    this.revision++;
    this.reactions = session.reactions;
  }
}
