// One room, as the app sees it: keys from the secret, the connection, the
// history, who is here and who is typing. Frames are handled one at a time in
// arrival order, so a message and its author's `rm` can never swap places.
import { assertNever, type InitInfo, type PeerId, type RelayFrame } from '../../../protocol/index.ts';
import { v4 as uuidv4 } from 'uuid';
import { Connection, type ConnectionOptions, type ConnectionState } from './connection.ts';
import { decryptText, encryptText, messageKeyFromSecret, roomIdFromSecret } from './crypto.ts';
import { decodeEnvelope, encodeEnvelope, fitsPayload, maxTextLength, type Envelope } from './envelope.ts';
import { batchEnvelopes, HistoryStore, toDelivered, toWire, type ChatMessage, type Notice } from './history.ts';
import { unknownName } from './names.ts';
import type { Ttl } from './ttl.ts';

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
}

export type LiveEvent = { type: 'message'; message: ChatMessage } | { type: 'notice'; notice: Notice };

/** How long a typing signal shows, and how often one is sent while typing. */
const typingShowsMs = 6000;
const typingEveryMs = 3000;
/** The relay's default, assumed until `init` says otherwise. */
const assumedMaxPayload = 65_536;
/** A timestamp far in the future, for sizing the batch a message may travel in. */
const widestTs = 9_999_999_999_999;

type Frame = Exclude<RelayFrame, ['init', ...unknown[]]>;

export class RoomSession {
  readonly history = new HistoryStore();
  /** Everyone else in the room now. */
  readonly peers = new Set<PeerId>();
  readonly names = new Map<PeerId, string>();
  /** Who is typing, until when (local clock). */
  readonly typing = new Map<PeerId, number>();
  readonly roomId: string;
  selfId: PeerId | undefined;
  state: ConnectionState = 'connecting';
  /** Payloads that did not decrypt or validate. */
  unreadable = 0;

  readonly #options: RoomOptions;
  readonly #key: CryptoKey;
  readonly #connection: Connection;
  readonly #now: () => number;
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
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #typingTimer: ReturnType<typeof setTimeout> | undefined;
  #lastTypingSent = -Infinity;

  static async open(options: RoomOptions): Promise<RoomSession> {
    const [roomId, key] = await Promise.all([roomIdFromSecret(options.secret), messageKeyFromSecret(options.secret)]);
    return new RoomSession(options, roomId, key);
  }

  private constructor(options: RoomOptions, roomId: string, key: CryptoKey) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#nameKnown = Promise.resolve(options.name).then((name) => {
      this.#name = name;
    });
    this.roomId = roomId;
    this.#key = key;
    this.#connection = new Connection({
      origin: options.socketOrigin,
      room: roomId,
      createSocket: options.createSocket,
      onState: (state) => {
        this.state = state;
        if (state !== 'connected') this.typing.clear();
        this.#changed();
      },
      onInit: (self, peers, info) => this.#enqueue(() => this.#init(self, peers, info)),
      onFrame: (frame) => {
        const receivedAt = this.#now();
        // Decryption starts at once, so a burst of history decrypts in parallel; handling stays in order.
        const opened = frame[0] === 'add' ? decryptText(this.#key, frame[2]) : undefined;
        this.#enqueue(() => this.#handle(frame, receivedAt, opened));
      },
    });
  }

  get name(): string {
    return this.#name;
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
  async send(text: string, options: { action?: boolean; ttl?: Ttl } = {}): Promise<string | undefined> {
    if (text.length > maxTextLength) return `That message is too long (at most ${maxTextLength} characters).`;
    const message: ChatMessage = {
      kind: 'message',
      id: uuidv4(),
      author: this.selfId ?? '',
      text,
      action: options.action ?? false,
      ttl: options.ttl ?? 0,
      ts: NaN,
    };
    const alone = batchEnvelopes(this.#name, [toDelivered({ ...message, ts: widestTs })], this.#maxPayload());
    if (alone[0]!.kind !== 'batch' || alone[0]!.messages.length === 0) return 'That message is too long to send.';
    this.history.addPending(message);
    // Readers stop showing us as typing when the message arrives; the next keystroke says so again.
    this.#lastTypingSent = -Infinity;
    this.#changed();
    if (this.state === 'connected') await this.#sendLive(message);
    return undefined;
  }

  /** Changes our name and tells the room. */
  async rename(name: string): Promise<void> {
    await this.#nameKnown;
    const before = this.#name;
    this.#name = name;
    if (this.selfId) this.names.set(this.selfId, name);
    this.#addNotice({ type: 'renamed', peer: this.selfId ?? '', from: before, to: name });
    this.#changed();
    await this.#broadcast({ v: 1, kind: 'nick', name });
  }

  /** Tells the room we are typing, at most every few seconds. */
  async typed(): Promise<void> {
    const now = this.#now();
    if (now - this.#lastTypingSent < typingEveryMs || this.state !== 'connected') return;
    this.#lastTypingSent = now;
    await this.#broadcast({ v: 1, kind: 'typing' });
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
    clearTimeout(this.#expiryTimer);
    clearTimeout(this.#typingTimer);
    clearTimeout(this.#expectedBackTimer);
    this.#connection.close();
  }

  /** The network is back: skip the wait before the next attempt. */
  retryNow(): void {
    this.#connection.reconnectNow();
  }

  /** A display name for any peer id seen in this room. */
  nameOf(peer: PeerId): string {
    return this.names.get(peer) ?? unknownName;
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
    this.names.set(self, this.#name);
    const present = new Set(peers.filter((peer) => !this.#formerSelves.has(peer)));
    if (previous !== self) this.history.reassignAuthor(previous ?? '', self);
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
    for (const message of this.history.pending()) await this.#sendLive({ ...message, author: self });
    // Back under the same id, the room still has our messages: ask only for what we missed.
    if (resumed) await this.#askForMissed();
    else await this.#sendBatches(undefined);
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

  async #askForMissed(): Promise<void> {
    const summary = encodeEnvelope({ v: 1, kind: 'summary', have: this.history.newestByAuthor() });
    if (!fitsPayload(summary, this.#maxPayload())) return void this.#connection.send(['fetch']);
    this.#connection.send(['fetch', await encryptText(this.#key, summary)]);
  }

  /** The relay time of the newest of our messages a returning peer already has. */
  async #newestTheyHave(summary: string | undefined): Promise<number> {
    const plaintext = summary === undefined ? undefined : await decryptText(this.#key, summary);
    const envelope = plaintext === undefined ? undefined : decodeEnvelope(plaintext);
    return envelope?.kind === 'summary' && this.selfId ? (envelope.have[this.selfId] ?? -Infinity) : -Infinity;
  }

  /** Handles one frame; `opened` is the decryption of an `add` frame's payload, already under way. */
  async #handle(frame: Frame, receivedAt: number, opened?: Promise<string | undefined>): Promise<void> {
    switch (frame[0]) {
      case 'add': {
        const [, from, , ts] = frame;
        this.#clockOffset = receivedAt - ts;
        const plaintext = await opened;
        const envelope = plaintext === undefined ? undefined : decodeEnvelope(plaintext);
        if (envelope) this.#receive(from, envelope, ts);
        else this.unreadable++;
        break;
      }
      case 'fetch': {
        const [, requester, summary] = frame;
        if (requester === this.selfId || this.#formerSelves.has(requester)) return;
        if (!this.#expectedBack.delete(requester) && !this.peers.has(requester)) {
          this.peers.add(requester);
          this.#addNotice({ type: 'joined', peer: requester });
        }
        await this.#sendBatches(requester, await this.#newestTheyHave(summary));
        break;
      }
      case 'rm': {
        const [, peer] = frame;
        if (this.#formerSelves.delete(peer)) return;
        if (this.peers.has(peer) || this.history.authors().has(peer)) this.#live(this.#departed(peer));
        break;
      }
      case 'error': {
        const [, code, message] = frame;
        // A newcomer that left before our answer reached it is not news.
        if (code !== 'no_such_peer') this.#addNotice({ type: 'error', text: `The relay said: ${message}` });
        break;
      }
      default:
        assertNever(frame);
    }
    this.#changed();
  }

  #receive(from: PeerId, envelope: Envelope, ts: number): void {
    const self = from === this.selfId;
    if (!self && !this.#formerSelves.has(from)) this.peers.add(from);
    this.#expectedBack.delete(from);
    if (envelope.kind === 'nick') {
      const before = this.names.get(from);
      if (!self && before !== undefined && before !== envelope.name) {
        this.#addNotice({ type: 'renamed', peer: from, from: before, to: envelope.name });
      }
    }
    if (envelope.kind !== 'typing' && envelope.kind !== 'summary') this.names.set(from, envelope.name);
    switch (envelope.kind) {
      case 'message': {
        this.typing.delete(from);
        if (self && this.history.confirm(envelope.message.id, ts)) return;
        this.history.addDelivered(from, [{ ...envelope.message, ts }], this.relayNow());
        const stored = this.history.get(envelope.message.id);
        if (!self && stored?.kind === 'message') this.#options.onLive?.({ type: 'message', message: stored });
        return;
      }
      case 'batch':
        if (!self) this.history.addDelivered(from, envelope.messages, this.relayNow());
        return;
      case 'nick':
        return;
      case 'typing':
        if (!self) this.#showTyping(from);
        return;
      case 'summary': // travels only in fetch
        return;
      default:
        assertNever(envelope);
    }
  }

  #departed(peer: PeerId): Notice {
    this.peers.delete(peer);
    this.typing.delete(peer);
    const vanished = this.history.removeAuthor(peer);
    return this.#addNotice({ type: 'left', peer, vanished }).notice;
  }

  #live(notice: Notice): void {
    this.#options.onLive?.({ type: 'notice', notice });
  }

  #showTyping(peer: PeerId): void {
    this.typing.set(peer, this.#now() + typingShowsMs);
    clearTimeout(this.#typingTimer);
    this.#typingTimer = setTimeout(() => {
      const now = this.#now();
      for (const [who, until] of this.typing) if (until <= now) this.typing.delete(who);
      this.#changed();
    }, typingShowsMs);
  }

  #addNotice(notice: Notice) {
    return this.history.addNotice(notice, this.relayNow());
  }

  async #sendLive(message: ChatMessage): Promise<void> {
    await this.#broadcast({ v: 1, kind: 'message', name: this.#name, message: toWire(message) });
  }

  /** Our own unexpired messages delivered after `after`: to a newcomer, a returning peer, or (after a reconnect) everyone. */
  async #sendBatches(to: PeerId | undefined, after = -Infinity): Promise<void> {
    if (!this.selfId) return;
    const own = this.history.delivered(this.selfId, this.relayNow(), after);
    for (const envelope of batchEnvelopes(this.#name, own, this.#maxPayload())) {
      const payload = await encryptText(this.#key, encodeEnvelope(envelope));
      this.#connection.send(to === undefined ? ['send', payload] : ['send', payload, to]);
    }
  }

  async #broadcast(envelope: Envelope): Promise<void> {
    const json = encodeEnvelope(envelope);
    if (!fitsPayload(json, this.#maxPayload())) return;
    this.#connection.send(['send', await encryptText(this.#key, json)]);
  }

  /** Something visible changed: expire what is due, schedule the next expiry, tell the view. */
  #changed(): void {
    this.history.expire(this.relayNow());
    clearTimeout(this.#expiryTimer);
    const next = this.history.nextExpiry();
    if (next !== undefined) {
      const delay = Math.min(2 ** 31 - 1, Math.max(0, next - this.relayNow()));
      this.#expiryTimer = setTimeout(() => this.#changed(), delay);
    }
    this.#options.onChange();
  }
}
