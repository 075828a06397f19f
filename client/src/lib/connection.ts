// The one socket to the relay: typed frames in and out, reconnection with
// backoff and jitter, and pacing of outgoing frames within the relay's rate.
import {
  CloseCode,
  SOCKET_PATH_PREFIX,
  decodeRelayFrame,
  encodeClientFrame,
  type ClientFrame,
  type InitInfo,
  type Limits,
  type PeerId,
  type RelayFrame,
  utf8Length,
} from '../../../protocol/index.ts';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** The part of a WebSocket the connection uses, so tests and Node can bring their own. */
export interface SocketLike {
  readonly readyState: number;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export interface ConnectionOptions {
  /** Base of the socket URL, e.g. "wss://example.org". */
  origin: string;
  room: string;
  /** `init` arrived: a fresh id, or (later) the same id taken back. */
  onInit(self: PeerId, peers: PeerId[], info: InitInfo): void;
  /** Every other frame from the relay, in order. */
  onFrame(frame: Exclude<RelayFrame, ['init', ...unknown[]]>): void;
  onState?(state: ConnectionState): void;
  backoff?: Partial<Backoff>;
  /** Gives up a connection attempt that has not opened in this time. */
  openTimeoutMs?: number;
  createSocket?(url: string): SocketLike;
}

export const connectionDefaults = {
  backoff: { baseMs: 500, maxMs: 15_000 } satisfies Backoff,
  openTimeoutMs: 10_000,
  createSocket: (url: string): SocketLike => new WebSocket(url),
};

/**
 * Delay before reconnection attempt `attempt` (0 for the first): exponential,
 * capped, with "equal jitter" (between half and all of the step) so that many
 * clients dropped at once do not come back at once. `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, random: number, { baseMs, maxMs }: Backoff): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (random * step) / 2);
}

/** Close codes after which coming back would be wrong. */
const finalCloseCodes: ReadonlySet<number> = new Set([CloseCode.replaced]);

const socketOpen = 1;

/**
 * Bytes of frames waiting to go out, at most: a room that keeps asking for
 * history (or a slow link) cannot grow the tab's memory without end.
 */
export const maxQueuedBytes = 8 * 1024 * 1024;

export interface SendOptions {
  /** History answering this peer's `fetch`: it goes after live frames, and a newer answer replaces it. */
  answerTo?: PeerId;
  /** Bulk data (a file chunk): it uses only part of the relay's burst, see `bulkBurst`. */
  bulk?: boolean;
}

interface Queued {
  text: string;
  bulk: boolean;
  /** Its length in UTF-8, what the relay's byte budget counts. */
  bytes: number;
  answerTo: PeerId | undefined;
}

export class Connection {
  readonly #options: ConnectionOptions;
  readonly #backoff: Backoff;
  #socket: SocketLike | undefined;
  #state: ConnectionState = 'connecting';
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  #limits: Limits | undefined;
  /** Live frames first, then history answers, each in the order sent. */
  #live: Queued[] = [];
  #answers: Queued[] = [];
  #queuedBytes = 0;
  /** Frames refused because the queue was full. */
  overflowed = 0;
  /** Bulk senders waiting for the queue to empty (see `roomFor`). */
  #waiting: { frames: number; resolve(connected: boolean): void }[] = [];
  #pacer = new Pacer();
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** Takes this connection's id back after a drop, within the relay's grace period. */
  #resumeToken: string | undefined;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#backoff = { ...connectionDefaults.backoff, ...options.backoff };
    this.#open();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Frames and bytes waiting to go out. */
  get queued(): { frames: number; bytes: number } {
    return { frames: this.#live.length + this.#answers.length, bytes: this.#queuedBytes };
  }

  /** The relay's limits, once `init` has arrived. */
  get limits(): Limits | undefined {
    return this.#limits;
  }

  /**
   * Queues a frame for the current connection, paced within the relay's rate.
   * Returns false (and drops it) when there is no connection: the caller
   * decides what to send again after the next `init`.
   */
  send(frame: ClientFrame, { answerTo, bulk = false }: SendOptions = {}): boolean {
    if (this.#state !== 'connected') return false;
    const text = encodeClientFrame(frame);
    if (this.#queuedBytes + text.length > maxQueuedBytes) {
      this.overflowed++;
      return false;
    }
    this.#queuedBytes += text.length;
    (answerTo === undefined ? this.#live : this.#answers).push({ text, bulk, bytes: utf8Length(text), answerTo });
    this.#drain();
    return true;
  }

  /**
   * Resolves true once fewer than `frames` frames wait to go out, false if the
   * connection drops first. Bulk data (file chunks) waits for this before it
   * is sealed and queued, so it never holds up text for more than a frame or
   * two, and frames still leave in the order they were sealed.
   */
  roomFor(frames: number): Promise<boolean> {
    if (this.#state !== 'connected') return Promise.resolve(false);
    if (this.#live.length + this.#answers.length < frames) return Promise.resolve(true);
    return new Promise((resolve) => this.#waiting.push({ frames, resolve }));
  }

  #wakeWaiting(): void {
    const waiting = this.#live.length + this.#answers.length;
    this.#waiting = this.#waiting.filter(({ frames, resolve }) => waiting >= frames || void resolve(true));
  }

  /** Drops what is still queued of an earlier answer to `peer`: it asked again, or left. */
  discardAnswer(peer: PeerId): void {
    this.#answers = this.#answers.filter((queued) => {
      if (queued.answerTo !== peer) return true;
      this.#queuedBytes -= queued.text.length;
      return false;
    });
  }

  /** Closes for good, with a close handshake so the room hears at once. */
  close(): void {
    this.#resumeToken = undefined;
    this.#setState('closed');
    this.#stopTimers();
    this.#detach()?.close(CloseCode.normal, 'leaving');
  }

  /** Drops the current socket (if any) and connects again now, e.g. when the network is back. */
  reconnectNow(): void {
    if (this.#state === 'closed' || this.#state === 'connected') return;
    this.#stopTimers();
    this.#detach()?.close(CloseCode.normal, 'reconnecting');
    this.#attempt = 0;
    this.#open();
  }

  /** Where to connect: the room, and the resume token once the relay gave one. */
  #url(): string {
    const resume = this.#resumeToken ? `?resume=${encodeURIComponent(this.#resumeToken)}` : '';
    return `${this.#options.origin}${SOCKET_PATH_PREFIX}${this.#options.room}${resume}`;
  }

  #open(): void {
    const create = this.#options.createSocket ?? connectionDefaults.createSocket;
    const socket = create(this.#url());
    this.#socket = socket;
    this.#openTimer = setTimeout(() => this.#lost(), this.#options.openTimeoutMs ?? connectionDefaults.openTimeoutMs);
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.#receive(event.data);
    };
    socket.onclose = (event) => this.#lost(event.code);
    socket.onerror = () => this.#lost();
  }

  #receive(text: string): void {
    const frame = decodeRelayFrame(text);
    if (!frame) return;
    if (frame[0] === 'init') {
      clearTimeout(this.#openTimer);
      this.#attempt = 0;
      this.#limits = frame[3].limits;
      this.#resumeToken = typeof frame[3].resume === 'string' ? frame[3].resume : undefined;
      this.#pacer = new Pacer(frame[3].limits);
      this.#setState('connected');
      this.#options.onInit(frame[1], frame[2], frame[3]);
      return;
    }
    this.#options.onFrame(frame);
  }

  #lost(code?: number): void {
    if (this.#state === 'closed') return;
    this.#stopTimers();
    this.#detach()?.close();
    if (code !== undefined && finalCloseCodes.has(code)) {
      this.#setState('closed');
      return;
    }
    this.#setState('reconnecting');
    const delay = backoffDelay(this.#attempt++, Math.random(), this.#backoff);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  /** Forgets the socket and its handlers; returns it if it may still need closing. */
  #detach(): SocketLike | undefined {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#live = [];
    this.#answers = [];
    this.#queuedBytes = 0;
    for (const { resolve } of this.#waiting.splice(0)) resolve(false);
    if (!socket) return undefined;
    socket.onmessage = socket.onclose = socket.onerror = null;
    return socket.readyState <= socketOpen ? socket : undefined;
  }

  #drain(): void {
    if (this.#drainTimer !== undefined) return;
    while (this.#live.length + this.#answers.length > 0 && this.#socket?.readyState === socketOpen) {
      const next = this.#live.length > 0 ? this.#live[0]! : this.#answers[0]!;
      const wait = this.#pacer.take(Date.now(), next.bytes, next.bulk);
      if (wait > 0) {
        this.#drainTimer = setTimeout(() => {
          this.#drainTimer = undefined;
          this.#drain();
        }, wait);
        return;
      }
      (this.#live.length > 0 ? this.#live : this.#answers).shift();
      this.#queuedBytes -= next.text.length;
      this.#socket.send(next.text);
      this.#wakeWaiting();
    }
  }

  #stopTimers(): void {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#openTimer);
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onState?.(state);
  }
}

/** One of the pacer's budgets, kept at 90 % of the relay's. */
class Budget {
  readonly rate: number;
  readonly burst: number;
  tokens: number;

  constructor(rate: number | undefined, burst: number | undefined, least: number) {
    this.rate = rate !== undefined && rate > 0 ? rate * 0.9 : 0;
    this.burst = Math.max(least, Math.floor((burst ?? 0) * 0.9));
    this.tokens = this.burst;
  }

  refill(seconds: number): void {
    this.tokens = Math.min(this.burst, this.tokens + seconds * this.rate);
  }

  /** Ms until `cost` tokens are there with `reserve` left over; 0 when they are, or when there is no limit. */
  waitFor(cost: number, reserve: number): number {
    const needed = Math.min(this.burst, cost + reserve);
    if (this.rate === 0 || this.tokens >= needed) return 0;
    return Math.ceil(((needed - this.tokens) / this.rate) * 1000);
  }
}

/**
 * How much of the burst bulk data (file chunks) may use: the rest is kept for
 * text and history answers. Whatever a sender bursts, every receiver must work
 * through before a text message sent after it, so a file sent at the full
 * burst would hold text up for seconds on a slow device.
 */
export const bulkBurst = { frames: 4, bytes: 1024 * 1024 };

/**
 * Token buckets kept a little below the relay's own, one for frames and one
 * for their bytes, so that bursts such as answering a newcomer or sending a
 * file are spread out instead of refused.
 */
export class Pacer {
  readonly #frames: Budget;
  readonly #bytes: Budget;
  #updatedAt = -Infinity;

  constructor(limits?: Pick<Limits, 'rate' | 'burst' | 'byteRate' | 'byteBurst'>) {
    this.#frames = new Budget(limits?.rate, limits?.burst, 1);
    this.#bytes = new Budget(limits?.byteRate, limits?.byteBurst, 0);
  }

  /**
   * Takes what a frame of `bytes` bytes costs and returns 0, or returns how
   * many ms to wait until both budgets hold it (for bulk data, with what is
   * kept for other frames left over). A frame larger than the byte budget's
   * burst waits for a full bucket.
   */
  take(now: number, bytes: number, bulk = false): number {
    if (this.#updatedAt !== -Infinity) {
      const seconds = (now - this.#updatedAt) / 1000;
      this.#frames.refill(seconds);
      this.#bytes.refill(seconds);
    }
    this.#updatedAt = now;
    const cost = Math.min(bytes, this.#bytes.burst);
    const frameReserve = bulk ? Math.max(0, this.#frames.burst - bulkBurst.frames) : 0;
    const byteReserve = bulk ? Math.max(0, this.#bytes.burst - bulkBurst.bytes) : 0;
    const wait = Math.max(this.#frames.waitFor(1, frameReserve), this.#bytes.waitFor(cost, byteReserve));
    if (wait > 0) return wait;
    if (this.#frames.rate > 0) this.#frames.tokens -= 1;
    if (this.#bytes.rate > 0) this.#bytes.tokens -= cost;
    return 0;
  }
}
