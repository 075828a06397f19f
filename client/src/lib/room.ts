// One room, as the app sees it: keys from the secret, the connection, who is
// here, and the features that own the envelopes. Frames are handled one at a
// time in arrival order, so a message and its author's `rm` can never swap
// places; each decrypted envelope goes to the feature that owns its kind.
import { assertNever, type ErrorCode, type InitInfo, type PeerId, type RelayFrame } from '../../../protocol/index.ts';
import { AuthorKeys, type Refusal } from './authors.ts';
import { toBase64url } from './base64url.ts';
import { Calls } from './calls/calls.ts';
import { Chat, type SendOptions } from './chat/chat.ts';
import type { HistoryStore, Notice } from './chat/history.ts';
import { Conversation } from './conversation/conversation.ts';
import type { ReactionItem } from './conversation/envelopes.ts';
import type { ReactionCount } from './conversation/reactions.ts';
import { Connection, type ConnectionOptions, type ConnectionState } from './connection.ts';
import { messageKeyFromSecret, roomIdFromSecret, SigningIdentity } from './crypto.ts';
import { decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.ts';
import { fitsPayload } from './envelope-fields.ts';
import type { LiveEvent, Received, RoomContext } from './feature.ts';
import type { FileAnnouncement } from './files/envelopes.ts';
import { Files, type OutgoingFile } from './files/files.ts';
import { Presence } from './presence/presence.ts';
import {
  scopeOf,
  sealedCodec,
  unsealedCodec,
  type Opened,
  type PayloadCodec,
  type Scope,
  type SealContext,
} from './seal.ts';
import type { Ttl } from './ttl.ts';

export type { LiveEvent } from './feature.ts';

export interface RoomOptions {
  secret: string;
  /** Base of the socket URL, e.g. "wss://example.org". */
  socketOrigin: string;
  /** Our name; it may still be on its way from the stored preferences. Nothing is sent before it is known. */
  name: string | Promise<string>;
  /** Called after anything visible changed; may be called often, so coalesce. */
  onChange(): void;
  /** A message or departure that just happened (not history arriving), for announcements. */
  onLive?(entry: LiveEvent): void;
  createSocket?: ConnectionOptions['createSocket'];
  /** The local clock; injectable for tests. */
  now?: () => number;
  /** Only for the benchmark's baseline: payloads without additional data, signature or padding (see seal.ts). */
  unsealedForBenchmark?: boolean;
}

/** The relay's default, assumed until `init` says otherwise. */
const assumedMaxPayload = 65_536;

/** Frames that may wait in the queue before bulk data (file chunks) joins it. */
const bulkQueueFrames = 2;

type Frame = Exclude<RelayFrame, ['init', ...unknown[]]>;

/**
 * Frames received and not yet handled, at most, in number and in payload
 * characters: a flood beyond that is dropped (and counted) instead of
 * decrypted, so a hostile member cannot grow the tab's memory or work queue.
 * Both are far above what a room sends at once: 20 people each writing as
 * fast as they can queue a few thousand small frames.
 */
export const maxQueuedFrames = 16_384;
export const maxQueuedFrameBytes = 32 * 1024 * 1024;
/** Handling yields to the page after this long, so a burst of frames never freezes it. */
const handlingSliceMs = 8;

/** Frames dropped, by why. */
export type Drops = Record<Refusal | 'unreadable' | 'overflow', number>;

/** What the page says for each relay error, in its own words (the relay's text is not shown). */
const errorTexts: Record<ErrorCode, string> = {
  bad_frame: 'The relay could not read something this page sent.',
  unknown_command: 'The relay did not understand something this page sent.',
  too_large: 'Something was too large for the relay and was not sent.',
  rate_limited: 'Sending too fast: the relay dropped something. Wait a moment.',
  no_such_peer: 'That person is no longer here.',
  room_full: 'This room is full.',
};

export class RoomSession {
  /** Everyone else in the room now. */
  readonly peers = new Set<PeerId>();
  readonly roomId: string;
  selfId: PeerId | undefined;
  state: ConnectionState = 'connecting';
  /** Frames dropped: sealed for another context, forged, replayed, from a departed id, or beyond the limits. */
  readonly drops: Drops = { unreadable: 0, impostor: 0, replayed: 0, departed: 0, overflow: 0 };

  readonly #options: RoomOptions;
  readonly #codec: PayloadCodec;
  readonly #publicKey: string;
  readonly #authors = new AuthorKeys();
  /** The id the relay gave this connection, known as soon as `init` arrives: what it stamps on our frames. */
  #wireSelf: PeerId | undefined;
  /** The counter of our latest sealed frame; receivers refuse one that does not go up. */
  #counter = 0;
  /** Frames go out in counter order, however long each took to seal. */
  #outgoing: Promise<void> = Promise.resolve();
  #inbound = { frames: 0, bytes: 0 };
  #sliceStart = 0;
  /** Peers whose `rm` a later signed frame contradicted; told once each. */
  readonly #contradicted = new Set<PeerId>();
  readonly #connection: Connection;
  readonly #now: () => number;
  readonly #chat: Chat;
  readonly #presence: Presence;
  readonly #calls: Calls;
  readonly #files: Files;
  readonly #conversation: Conversation;
  /** Our own earlier ids, still listed by the relay until their grace ends. */
  readonly #formerSelves = new Set<PeerId>();
  /**
   * Peers we knew before a resume that the relay did not list: they left while
   * we were away, or (after a relay restart) have not come back yet. Those not
   * heard from within the grace period are gone.
   */
  readonly #expectedBack = new Set<PeerId>();
  #expectedBackTimer: ReturnType<typeof setTimeout> | undefined;
  #name = '';
  readonly #nameKnown: Promise<void>;
  #queue: Promise<void> = Promise.resolve();
  /** Local clock minus relay clock, from the latest frame stamped by the relay. */
  #clockOffset = 0;

  static async open(options: RoomOptions): Promise<RoomSession> {
    const [roomId, key, identity] = await Promise.all([
      roomIdFromSecret(options.secret),
      messageKeyFromSecret(options.secret),
      SigningIdentity.create(),
    ]);
    return new RoomSession(options, roomId, key, identity);
  }

  private constructor(options: RoomOptions, roomId: string, key: CryptoKey, identity: SigningIdentity) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#nameKnown = Promise.resolve(options.name).then((name) => {
      this.#name = name;
    });
    this.roomId = roomId;
    this.#codec = options.unsealedForBenchmark ? unsealedCodec(key, identity) : sealedCodec(key, identity);
    this.#publicKey = toBase64url(identity.publicKey);
    const context = this.#context();
    this.#chat = new Chat(context);
    this.#presence = new Presence(context);
    this.#calls = new Calls(context);
    this.#files = new Files(context);
    this.#conversation = new Conversation(context, this.#chat.history);
    this.#connection = new Connection({
      origin: options.socketOrigin,
      room: roomId,
      createSocket: options.createSocket,
      onState: (state) => {
        this.state = state;
        if (state !== 'connected') this.#presence.typing.clear();
        this.#changed();
      },
      onInit: (self, peers, info) => {
        this.#wireSelf = self;
        this.#authors.pin(self, this.#publicKey);
        this.#enqueue(() => this.#init(self, peers, info));
      },
      onFrame: (frame) => this.#arrived(frame),
    });
  }

  /** How many frames were dropped, for whatever reason. */
  get dropped(): number {
    return Object.values(this.drops).reduce((sum, count) => sum + count, 0);
  }

  get name(): string {
    return this.#name;
  }

  get history(): HistoryStore {
    return this.#chat.history;
  }

  /** The room's call. */
  get calls(): Calls {
    return this.#calls;
  }

  /** Images and files: their transfers and the content held. */
  get files(): Files {
    return this.#files;
  }

  get names(): ReadonlyMap<PeerId, string> {
    return this.#presence.names;
  }

  /** Who is typing, until when (local clock). */
  get typing(): ReadonlyMap<PeerId, number> {
    return this.#presence.typing;
  }

  /** The relay's clock now, as well as this client can tell. */
  relayNow(): number {
    return this.#now() - this.#clockOffset;
  }

  /** Resolves when every frame received so far has been handled. */
  settled(): Promise<void> {
    return this.#queue;
  }

  /** Sends a message; returns an error text for the author if it cannot be sent. */
  async send(text: string, options: SendOptions = {}): Promise<string | undefined> {
    const error = await this.#chat.send(text, options);
    if (!error) this.#presence.sentMessage();
    return error;
  }

  /** Sends a file (an image, when its type says so) as a message; returns an error text if it cannot be sent. */
  async sendFile(file: OutgoingFile, options: { ttl?: Ttl } = {}): Promise<string | undefined> {
    if (this.state !== 'connected') return 'Files can be sent only while connected.';
    const announcement = await this.#files.prepare(file);
    if (typeof announcement === 'string') return announcement;
    const error = await this.#chat.send('', { ...options, file: announcement });
    if (error) this.#files.cancel(announcement.id);
    else this.#files.broadcast(announcement.id);
    return error;
  }

  /** Per message, who reacted with what. The same map until a reaction changes. */
  get reactions(): ReadonlyMap<string, readonly ReactionCount[]> {
    return this.#conversation.reactions.counts();
  }

  /** Whether we wrote this delivered message, so we may edit or unsend it. */
  isOwn(id: string): boolean {
    return this.#conversation.isAuthor(this.selfId, id);
  }

  /** Changes the text of one of our messages; returns an error text if it cannot be done. */
  edit(id: string, text: string): Promise<string | undefined> {
    return this.#conversation.edit(id, text);
  }

  /** Takes one of our messages back from every screen. */
  unsend(id: string): Promise<void> {
    return this.#conversation.unsend(id);
  }

  /** Adds our reaction, or removes it if we already reacted so. */
  toggleReaction(item: ReactionItem): Promise<void> {
    return this.#conversation.toggleReaction(item);
  }

  /** Changes our name and tells the room. */
  async rename(name: string): Promise<void> {
    await this.#nameKnown;
    const before = this.#name;
    this.#name = name;
    await this.#presence.rename(this.selfId, before, name);
  }

  /** Tells the room we are typing, at most every few seconds. */
  typed(): Promise<void> {
    return this.#presence.typed();
  }

  /** A local line in the history, e.g. the answer to a command. */
  note(notice: Notice): void {
    this.#addNotice(notice);
    this.#changed();
  }

  clearView(): void {
    this.history.clearView(this.relayNow());
    this.#changed();
  }

  /** Leaves for good: the socket closes with a handshake so the room drops our messages at once. */
  leave(): void {
    this.#chat.stop();
    this.#presence.stop();
    this.#calls.stop();
    this.#files.stop();
    clearTimeout(this.#expectedBackTimer);
    this.#connection.close();
  }

  /** The network is back: skip the wait before the next attempt. */
  retryNow(): void {
    this.#connection.reconnectNow();
  }

  /** The short fingerprint of a peer's signing key, once heard from (our own: at once). */
  fingerprintOf(peer: PeerId): string | undefined {
    return this.#authors.fingerprintOf(peer);
  }

  /** A display name for any peer id seen in this room. */
  nameOf(peer: PeerId): string {
    return this.#presence.nameOf(peer);
  }

  /** What the features may ask of the room. */
  #context(): RoomContext {
    return {
      selfId: () => this.selfId,
      name: () => this.#name,
      connected: () => this.state === 'connected',
      relayNow: () => this.relayNow(),
      now: () => this.#now(),
      maxPayload: () => this.#maxPayload(),
      send: (envelope, to) => this.#send(envelope, to),
      sendBulk: (envelope, to) => this.#sendBulk(envelope, to),
      fetch: (summary) => this.#fetch(summary),
      samePerson: (a, b) => this.#authors.samePerson(a, b),
      notice: (notice) => this.#addNotice(notice),
      live: (event) => this.#options.onLive?.(event),
      changed: () => this.#changed(),
    };
  }

  #maxPayload(): number {
    return this.#connection.limits?.maxPayload ?? assumedMaxPayload;
  }

  #enqueue(task: () => Promise<void> | void): void {
    this.#queue = this.#queue.then(task).catch((error: unknown) => {
      // A bug in handling one frame must not stop the room; the frame is lost.
      console.error(error);
    });
  }

  async #init(self: PeerId, peers: PeerId[], info: InitInfo): Promise<void> {
    await this.#nameKnown;
    const previous = this.selfId;
    const resumed = previous === self && info.resumed === true;
    this.selfId = self;
    this.#calls.configure(info.call);
    this.#presence.names.set(self, this.#name);
    const present = new Set(peers.filter((peer) => !this.#formerSelves.has(peer)));
    this.#chat.renamedSelf(previous, self);
    this.#files.renamedSelf(previous, self);
    this.#conversation.renamedSelf(previous, self);
    if (previous === undefined) {
      this.#addNotice({
        type: 'info',
        text: `You joined as ${this.#name}. Messages here vanish when their author leaves.`,
      });
    } else if (resumed) {
      for (const peer of this.peers) if (!present.has(peer)) this.#expectedBack.add(peer);
      for (const peer of this.#expectedBack) present.add(peer);
      this.#awaitReturns(typeof info.graceMs === 'number' ? info.graceMs : 0);
    } else if (previous !== self && !info.resumed) {
      this.#formerSelves.add(previous);
      present.delete(previous);
      // Whoever left while we were away is gone, with their messages.
      const known = new Set([...this.peers, ...this.history.authors()]);
      for (const peer of known) if (peer !== self && !present.has(peer)) this.#departed(peer);
    }
    this.peers.clear();
    for (const peer of present) this.peers.add(peer);
    this.#changed();
    await this.#chat.joined(self, resumed);
    await this.#calls.rejoined();
    // After a reconnect under a new id, everyone learns our reactions again, as they learn our messages.
    if (!resumed) await this.#conversation.answer(undefined, undefined);
  }

  #awaitReturns(graceMs: number): void {
    clearTimeout(this.#expectedBackTimer);
    this.#expectedBackTimer = setTimeout(() => {
      this.#enqueue(() => {
        for (const peer of this.#expectedBack) this.#live(this.#departed(peer));
        this.#expectedBack.clear();
        this.#changed();
      });
    }, graceMs);
  }

  /** A frame from the relay: queued for handling in order, unless the queue is full. */
  #arrived(frame: Frame): void {
    const receivedAt = this.#now();
    const size = frame[0] === 'add' ? frame[2].length : frame[0] === 'fetch' ? (frame[2]?.length ?? 0) : 0;
    const inbound = this.#inbound;
    // Departures and errors are never dropped: they are small, and losing one would leave a ghost.
    const droppable = frame[0] === 'add' || frame[0] === 'fetch';
    if (droppable && (inbound.frames >= maxQueuedFrames || inbound.bytes + size > maxQueuedFrameBytes)) {
      this.drops.overflow++;
      return;
    }
    inbound.frames++;
    inbound.bytes += size;
    // Opening starts at once, so a burst of history decrypts in parallel; handling stays in order.
    const opened = frame[0] === 'add' ? this.#openAdd(frame[1], frame[2]) : undefined;
    this.#enqueue(async () => {
      try {
        await this.#handle(frame, receivedAt, opened);
      } finally {
        inbound.frames--;
        inbound.bytes -= size;
      }
      await this.#yieldIfLong();
    });
  }

  #openAdd(from: PeerId, payload: string): Promise<Opened | undefined> {
    const scope = scopeOf(payload);
    if (scope === undefined || scope === 'fetch') return Promise.resolve(undefined);
    const to = scope === 'room' ? undefined : this.#wireSelf;
    return this.#codec.open(payload, { roomId: this.roomId, from, scope, to });
  }

  /** Lets the page draw and take input between frames once handling has run for a while. */
  async #yieldIfLong(): Promise<void> {
    const now = Date.now();
    if (now - this.#sliceStart < handlingSliceMs) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#sliceStart = Date.now();
  }

  /** The envelope of an opened payload if its signer may speak as `from` now; counts why not otherwise. */
  #admit(from: PeerId, opened: Opened | undefined, scope: Scope): Envelope | undefined {
    const refusal = opened && this.#authors.admit(from, opened.publicKey, opened.counter, scope);
    if (refusal) {
      this.drops[refusal]++;
      if (refusal === 'departed') this.#contradictedDeparture(from);
      return undefined;
    }
    const envelope = opened && decodeEnvelope(opened.envelopeJson);
    if (!envelope) this.drops.unreadable++;
    return envelope;
  }

  /** A signed frame from an id the relay said had left: the relay's `rm` was false (or very late). */
  #contradictedDeparture(peer: PeerId): void {
    if (this.#contradicted.has(peer)) return;
    this.#contradicted.add(peer);
    this.#addNotice({
      type: 'error',
      text: `The relay said ${this.nameOf(peer)} left, but they are still sending: the relay may be misbehaving. What they send now is not shown.`,
    });
  }

  /** Handles one frame; `opened` is the opening of an `add` frame's payload, already under way. */
  async #handle(frame: Frame, receivedAt: number, opened?: Promise<Opened | undefined>): Promise<void> {
    switch (frame[0]) {
      case 'add': {
        const [, from, payload, ts] = frame;
        this.#clockOffset = receivedAt - ts;
        const scope = scopeOf(payload) ?? 'room';
        const envelope = this.#admit(from, await opened, scope);
        const unicast = scope !== 'room';
        if (envelope) this.#receive(envelope, { from, ts, self: from === this.selfId, unicast });
        break;
      }
      case 'fetch': {
        const [, requester, summary] = frame;
        if (requester === this.selfId || this.#formerSelves.has(requester)) return;
        if (!this.#expectedBack.delete(requester) && !this.peers.has(requester)) {
          this.peers.add(requester);
          this.#addNotice({ type: 'joined', peer: requester });
        }
        // One answer per requester at a time: what is still queued of the last one is replaced.
        this.#connection.discardAnswer(requester);
        const have = await this.#openSummary(requester, summary);
        await this.#chat.answer(requester, have);
        await this.#conversation.answer(requester, have);
        await this.#calls.answerNewcomer(requester);
        break;
      }
      case 'rm': {
        const [, peer] = frame;
        if (this.#formerSelves.delete(peer)) return;
        if (this.peers.has(peer) || this.history.authors().has(peer)) this.#live(this.#departed(peer));
        break;
      }
      case 'error': {
        const [, code] = frame;
        // A newcomer that left before our answer reached it is not news.
        if (code !== 'no_such_peer') this.#addNotice({ type: 'error', text: errorTexts[code] });
        break;
      }
      default:
        assertNever(frame);
    }
    this.#changed();
  }

  /** Hands a decrypted envelope to the feature that owns its kind. */
  #receive(envelope: Envelope, received: Received): void {
    if (!received.self && !this.#formerSelves.has(received.from)) this.peers.add(received.from);
    this.#expectedBack.delete(received.from);
    this.#presence.heardFrom(envelope, received);
    switch (envelope.kind) {
      case 'message':
      case 'batch':
        this.#files.announced(fileAnnouncements(envelope), received, envelope.kind === 'message');
        return this.#chat.receive(envelope, received);
      case 'summary':
        return this.#chat.receive(envelope, received);
      case 'file-chunk':
      case 'file-request':
      case 'file-cancel':
        return void this.#files.receive(envelope, received);
      case 'nick':
      case 'typing':
        return this.#presence.receive(envelope, received);
      case 'call':
      case 'sdp':
      case 'ice':
        return this.#calls.receive(envelope, received);
      case 'edit':
      case 'unsend':
      case 'react':
      case 'reactions':
        return this.#conversation.receive(envelope, received);
      default:
        assertNever(envelope);
    }
  }

  async #openSummary(requester: PeerId, summary: string | undefined): Promise<Envelope | undefined> {
    if (summary === undefined) return undefined;
    const opened = await this.#codec.open(summary, { roomId: this.roomId, from: requester, scope: 'fetch' });
    return this.#admit(requester, opened, 'fetch');
  }

  #departed(peer: PeerId): Notice {
    this.peers.delete(peer);
    this.#authors.departed(peer);
    this.#connection.discardAnswer(peer);
    this.#presence.forget(peer);
    this.#calls.forget(peer);
    this.#files.forget(peer);
    this.#conversation.forget(peer);
    const vanished = this.#chat.forget(peer);
    return this.#addNotice({ type: 'left', peer, vanished }).notice;
  }

  #live(notice: Notice): void {
    this.#options.onLive?.({ type: 'notice', notice });
  }

  #addNotice(notice: Notice) {
    return this.history.addNotice(notice, this.relayNow());
  }

  async #send(envelope: Envelope, to?: PeerId): Promise<void> {
    // A batch to one peer answers its fetch: it waits behind live frames and a newer answer replaces it.
    const answerTo = to !== undefined && envelope.kind === 'batch' ? to : undefined;
    const target: Pick<SealContext, 'scope' | 'to'> =
      to === undefined ? { scope: 'room' } : { scope: answerTo ? 'answer' : 'peer', to };
    await this.#sealAndSend(envelope, target, (payload) =>
      this.#connection.send(to === undefined ? ['send', payload] : ['send', payload, to], { answerTo }),
    );
  }

  /** Waits until at most one frame is queued, then sends: text sent meanwhile goes first. */
  async #sendBulk(envelope: Envelope, to?: PeerId): Promise<boolean> {
    if (!(await this.#connection.roomFor(bulkQueueFrames))) return false;
    let queued = false;
    const sealed = await this.#sealAndSend(
      envelope,
      to === undefined ? { scope: 'room' } : { scope: 'peer', to },
      (payload) => {
        queued = this.#connection.send(to === undefined ? ['send', payload] : ['send', payload, to], { bulk: true });
      },
    );
    return sealed && queued;
  }

  async #fetch(summary?: Envelope): Promise<void> {
    const sent = await this.#sealAndSend(summary, { scope: 'fetch' }, (payload) =>
      this.#connection.send(['fetch', payload]),
    );
    if (!sent) this.#connection.send(['fetch']);
  }

  /**
   * Seals an envelope for the room's context under our current id and hands
   * it to `deliver`, in counter order. False if there is nothing to send: no
   * envelope, no id yet, too large, or our id changed while it was sealed.
   */
  async #sealAndSend(
    envelope: Envelope | undefined,
    target: Pick<SealContext, 'scope' | 'to'>,
    deliver: (payload: string) => void,
  ): Promise<boolean> {
    const json = envelope && encodeEnvelope(envelope);
    const from = this.#wireSelf;
    const maxPayload = this.#maxPayload();
    if (json === undefined || from === undefined || !fitsPayload(json, maxPayload)) return false;
    const context: SealContext = { roomId: this.roomId, from, ...target };
    const sealing = this.#codec.seal(++this.#counter, json, context, maxPayload);
    const sent = this.#outgoing.then(async () => {
      const payload = await sealing;
      if (this.#wireSelf !== from) return false;
      deliver(payload);
      return true;
    });
    this.#outgoing = sent.then(
      () => undefined,
      () => undefined,
    );
    return sent;
  }

  /** Something visible changed: expire what is due, tell the view. */
  #changed(): void {
    this.#chat.expireDue();
    this.#options.onChange();
  }
}

/** The files announced in a message or a batch of messages. */
function fileAnnouncements(envelope: Envelope & { kind: 'message' | 'batch' }): FileAnnouncement[] {
  const messages = envelope.kind === 'message' ? [envelope.message] : envelope.messages;
  return messages.flatMap((message) => (message.file ? [message.file] : []));
}
