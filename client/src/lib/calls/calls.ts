// The room's call as one member sees it: who is in it and how (muted,
// camera, screen), our own part, and the signalling for each pair's
// connection, handed to the WebRTC adapter that attaches. Everything here is
// state and rules; the adapter owns the media.
import { assertNever, type PeerId } from '../../../../protocol/index.ts';
import type { Received, RoomContext } from '../feature.ts';
import { decodeCallInfo, defaultCallInfo, hasTurn, type CallInfo } from './call-info.ts';
import type { CallEnvelope, CallState, IceCandidate, SdpEnvelope, TrackRole } from './envelopes.ts';
import { admitted, callOrder, connectionTargets } from './mesh.ts';

export type Participant = Omit<CallState, 'joined'>;

/** What the adapter hears from the call. */
export interface CallSignals {
  description(from: PeerId, description: SdpEnvelope): void;
  candidates(from: PeerId, candidates: IceCandidate[]): void;
  /** Who we should hold a connection with changed (joins, leaves, the limit). */
  targetsChanged(targets: readonly PeerId[]): void;
}

export type JoinResult = 'joined' | 'full';

/** The call as the view draws it: a fresh object after every change. */
export interface CallSnapshot {
  own: CallState;
  /** The others in the call, in the call's order. */
  participants: readonly (Participant & { peer: PeerId })[];
  full: boolean;
  maxParticipants: number;
  turn: boolean;
}

const notInCall: Participant & { joined: boolean } = {
  joined: false,
  since: 0,
  muted: false,
  camera: false,
  screen: false,
};

export class Calls {
  /** Everyone else in the call, as they announced themselves. */
  readonly participants = new Map<PeerId, Participant>();
  /** Our own part; `joined` false outside the call. */
  own: CallState = { ...notInCall };
  /** We joined but were past the limit when the others' joins were counted. */
  full = false;
  info: CallInfo = defaultCallInfo;
  readonly #room: RoomContext;
  #signals: CallSignals | undefined;

  constructor(room: RoomContext) {
    this.#room = room;
  }

  /** The relay's call settings from `init`. */
  configure(info: unknown): void {
    this.info = decodeCallInfo(info);
  }

  attach(signals: CallSignals | undefined): void {
    this.#signals = signals;
    this.#targetsChanged();
  }

  selfId(): PeerId | undefined {
    return this.#room.selfId();
  }

  snapshot(): CallSnapshot {
    return {
      own: this.own,
      participants: callOrder(this.participants).map((peer) => ({ peer, ...this.participants.get(peer)! })),
      full: this.full,
      maxParticipants: this.info.maxParticipants,
      turn: hasTurn(this.info),
    };
  }

  /** Whether joining now would put us past the limit. */
  get wouldBeFull(): boolean {
    return admitted(this.participants, this.info.maxParticipants).size >= this.info.maxParticipants;
  }

  /** The peers we should hold a connection with now. */
  targets(): PeerId[] {
    const self = this.#room.selfId();
    if (!this.own.joined || !self) return [];
    const everyone = new Map(this.participants).set(self, this.own);
    return connectionTargets(self, everyone, this.info.maxParticipants);
  }

  async join(media: { camera: boolean; muted?: boolean }): Promise<JoinResult> {
    this.full = this.wouldBeFull;
    if (this.full) return 'full';
    const since = Math.max(0, this.#room.relayNow());
    this.own = { joined: true, since, muted: media.muted ?? false, camera: media.camera, screen: false };
    await this.#announce();
    this.#targetsChanged();
    return 'joined';
  }

  async leave(): Promise<void> {
    if (!this.own.joined) return;
    this.own = { ...notInCall };
    this.#targetsChanged();
    await this.#announce();
  }

  /** Mute, camera or screen changed. */
  async update(change: Partial<Pick<CallState, 'muted' | 'camera' | 'screen'>>): Promise<void> {
    if (!this.own.joined) return;
    this.own = { ...this.own, ...change };
    this.#room.changed();
    await this.#announce();
  }

  /** Sends a description to one participant with the roles of our sending transceivers. */
  sendDescription(to: PeerId, type: 'offer' | 'answer', sdp: string, roles: Record<string, TrackRole>): Promise<void> {
    return this.#room.send({ v: 1, kind: 'sdp', type, sdp, roles }, to);
  }

  sendCandidates(to: PeerId, candidates: IceCandidate[]): Promise<void> {
    return this.#room.send({ v: 1, kind: 'ice', candidates }, to);
  }

  receive(envelope: CallEnvelope, { from, self }: Received): void {
    if (self) return;
    switch (envelope.kind) {
      case 'call': {
        const { joined, since, muted, camera, screen } = envelope;
        if (joined) this.participants.set(from, { since, muted, camera, screen });
        else this.participants.delete(from);
        return this.#targetsChanged();
      }
      case 'sdp':
        if (this.targets().includes(from)) this.#signals?.description(from, envelope);
        return;
      case 'ice':
        if (this.targets().includes(from)) this.#signals?.candidates(from, envelope.candidates);
        return;
      default:
        assertNever(envelope);
    }
  }

  /** A newcomer learns who is in the call as part of joining: each participant answers its `fetch`. */
  async answerNewcomer(to: PeerId): Promise<void> {
    if (this.own.joined) await this.#announce(to);
  }

  /** We have a (new) id in the room: if we are in the call, the room hears so again. */
  async rejoined(): Promise<void> {
    if (this.own.joined) await this.#announce();
    this.#targetsChanged();
  }

  /** A peer left the room: they left the call too. */
  forget(peer: PeerId): void {
    if (this.participants.delete(peer)) this.#targetsChanged();
  }

  /** Leaving the room ends our part at once; the others learn it from our `rm`. */
  stop(): void {
    this.own = { ...notInCall };
    this.#targetsChanged();
  }

  async #announce(to?: PeerId): Promise<void> {
    await this.#room.send({ v: 1, kind: 'call', name: this.#room.name(), ...this.own }, to);
  }

  #targetsChanged(): void {
    const self = this.#room.selfId();
    // Joined after the others we could not see yet, and now past the limit: we leave, and say why.
    if (
      this.own.joined &&
      self &&
      !admitted(new Map(this.participants).set(self, this.own), this.info.maxParticipants).has(self)
    ) {
      this.full = true;
      this.own = { ...notInCall };
      void this.#announce();
    }
    this.#signals?.targetsChanged(this.targets());
    this.#room.changed();
  }
}
