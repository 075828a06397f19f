// Images and files in the room. The author holds each file it sent for as
// long as it is here: it broadcasts the chunks once when it sends, and sends
// them again to one peer that asks (a newcomer, or a retry). Receivers hold
// what they received, within a budget, and only once its hash matched.
import type { PeerId } from '../../../../protocol/index.ts';
import type { Envelope } from '../envelope.ts';
import type { Received, RoomContext } from '../feature.ts';
import { chunkSizeFor, importFileKey, newFileId, newFileKey, sealChunk, sha256 } from './chunks.ts';
import { detectType, isInlineType, type DetectedType } from './detect.ts';
import { chunkCount, fileLimits, type ChunkRange, type FileAnnouncement, type FileEnvelope } from './envelopes.ts';
import { formatBytes } from './names.ts';
import { IncomingFile, ReceivedBudget, type FileFailure } from './transfer.ts';

export type FileStatus =
  /** Announced; the content is fetched when asked for. */
  | { state: 'waiting' }
  | { state: 'sending' | 'receiving'; done: number; total: number }
  | { state: 'ready' }
  | { state: 'failed'; failure: FileFailure };

export interface FileContent {
  bytes: Uint8Array<ArrayBuffer>;
  type: DetectedType;
}

/** A file about to be sent, as the page read it (metadata already removed where asked). */
export interface OutgoingFile {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
  preview?: string;
  stripped?: boolean;
}

/** Images up to this size are fetched for a newcomer without asking. */
export const autoFetchBytes = 8 * 1024 * 1024;
/** Chunks being sealed or queued at once per transfer: enough to keep the socket busy, few enough to stop at once. */
const pipelineDepth = 3;
const stallCheckMs = 1_000;
/** A transfer quiet this long asks its author again for the chunks it lacks (some were lost on the way). */
const gapMs = 3_000;

interface Known {
  announcement: FileAnnouncement;
  author: PeerId;
}

export class Files {
  readonly #room: RoomContext;
  readonly #limits: typeof fileLimits;
  /** Every file we know of, own or others', by id. */
  readonly #known = new Map<string, Known>();
  readonly #status = new Map<string, FileStatus>();
  /** Content we hold: our own files, and received files that passed the hash check. */
  readonly #content = new Map<string, FileContent>();
  readonly #incoming = new Map<string, IncomingFile>();
  readonly #budget: ReceivedBudget;
  /** Transfers we are sending, by file id and receiver ("*" for the room); deleting one stops it. */
  readonly #serving = new Set<string>();
  #stallTimer: ReturnType<typeof setInterval> | undefined;

  constructor(room: RoomContext, limits: Partial<typeof fileLimits> = {}) {
    this.#room = room;
    this.#limits = { ...fileLimits, ...limits };
    this.#budget = new ReceivedBudget(this.#limits.maxReceivedBytes);
  }

  status(id: string): FileStatus | undefined {
    return this.#status.get(id);
  }

  content(id: string): FileContent | undefined {
    return this.#content.get(id);
  }

  /** Received bytes held now. */
  get heldBytes(): number {
    return this.#budget.total;
  }

  /** Checks and announces-to-be a file of ours; returns an error text instead if it cannot be sent. */
  async prepare(file: OutgoingFile): Promise<FileAnnouncement | string> {
    if (file.bytes.length > this.#limits.maxFileBytes) {
      return `${file.name} is too large to send (${formatBytes(file.bytes.length)}; at most ${formatBytes(this.#limits.maxFileBytes)}).`;
    }
    const type = detectType(file.bytes);
    const announcement: FileAnnouncement = {
      id: newFileId(),
      name: file.name,
      size: file.bytes.length,
      type: type.mime,
      chunkSize: chunkSizeFor(this.#room.maxPayload()),
      key: newFileKey(),
      hash: await sha256(file.bytes),
    };
    if (file.preview) announcement.preview = file.preview;
    if (file.stripped) announcement.stripped = true;
    this.#known.set(announcement.id, { announcement, author: this.#room.selfId() ?? '' });
    this.#content.set(announcement.id, { bytes: file.bytes, type });
    this.#status.set(announcement.id, { state: 'ready' });
    return announcement;
  }

  /** Our announcement went out: the chunks follow to the whole room. */
  broadcast(id: string): void {
    void this.#serve(id, undefined, undefined);
  }

  /** Messages carrying announcements arrived: live ones are followed by their chunks, history ones are fetched on demand. */
  announced(announcements: readonly FileAnnouncement[], { from, self }: Received, live: boolean): void {
    if (self) return;
    for (const announcement of announcements) {
      const known = this.#known.get(announcement.id);
      if (known && known.author !== from) {
        // Its author's tab under a new id (it reconnected) takes the file along, as the history does its
        // messages, so the old id leaving does not take it away; anyone else announcing it is ignored.
        if (this.#room.samePerson(known.author, from)) known.author = from;
        continue;
      }
      this.#known.set(announcement.id, { announcement, author: from });
      if (this.#status.has(announcement.id)) continue;
      if (live) this.#startIncoming(announcement.id);
      else if (this.#fetchesItself(announcement)) this.request(announcement.id);
      else this.#status.set(announcement.id, { state: 'waiting' });
    }
  }

  /** Asks the author for a file's content: for Save, or to retry. */
  request(id: string): void {
    const known = this.#known.get(id);
    if (!known || known.author === this.#room.selfId() || !this.#startIncoming(id)) return;
    void this.#room.send({ v: 1, kind: 'file-request', id }, known.author);
  }

  /** Stops a transfer: our own broadcast (the file is then withdrawn), or one we are receiving. */
  cancel(id: string): void {
    const known = this.#known.get(id);
    if (!known) return;
    if (known.author === this.#room.selfId()) {
      for (const key of this.#serving) if (key.startsWith(`${id}:`)) this.#serving.delete(key);
      this.#content.delete(id);
      void this.#room.send({ v: 1, kind: 'file-cancel', id });
    } else {
      if (!this.#incoming.has(id)) return;
      void this.#room.send({ v: 1, kind: 'file-cancel', id }, known.author);
    }
    this.#fail(id, 'cancelled');
  }

  async receive(envelope: FileEnvelope, received: Received): Promise<void> {
    if (received.self) return;
    switch (envelope.kind) {
      case 'file-chunk':
        return this.#chunk(envelope, received.from);
      case 'file-request':
        if (this.#known.get(envelope.id)?.author === this.#room.selfId() && this.#content.has(envelope.id)) {
          await this.#serve(envelope.id, received.from, envelope.missing);
        } else if (this.#known.get(envelope.id)?.author === this.#room.selfId()) {
          await this.#room.send({ v: 1, kind: 'file-cancel', id: envelope.id }, received.from);
        }
        return;
      case 'file-cancel':
        if (this.#known.get(envelope.id)?.author === received.from) this.#fail(envelope.id, 'cancelled');
        else this.#serving.delete(`${envelope.id}:${received.from}`);
        return;
    }
  }

  /** A peer left: what they sent is released, and we stop sending to them. */
  forget(peer: PeerId): void {
    for (const key of this.#serving) if (key.endsWith(`:${peer}`)) this.#serving.delete(key);
    for (const [id, known] of this.#known) {
      if (known.author !== peer) continue;
      this.#drop(id);
      this.#known.delete(id);
      this.#status.delete(id);
    }
  }

  /** Our id changed (a new connection): our files are ours under the new one. */
  renamedSelf(previous: PeerId | undefined, self: PeerId): void {
    for (const known of this.#known.values()) if (known.author === (previous ?? '')) known.author = self;
  }

  stop(): void {
    clearInterval(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#serving.clear();
  }

  #fetchesItself(announcement: FileAnnouncement): boolean {
    return isInlineType(announcement.type) && announcement.size <= autoFetchBytes;
  }

  /** Starts receiving a file into the budget; false if it cannot be held. */
  #startIncoming(id: string): boolean {
    const known = this.#known.get(id);
    if (!known || this.#incoming.has(id) || this.#content.has(id)) return false;
    const { announcement } = known;
    const released = announcement.size <= this.#limits.maxFileBytes && this.#budget.reserve(id, announcement.size);
    if (!released) {
      this.#fail(id, 'too-large');
      return false;
    }
    for (const old of released) this.#release(old);
    this.#incoming.set(id, new IncomingFile(announcement, importFileKey(announcement.key), this.#room.now()));
    this.#status.set(id, { state: 'receiving', done: 0, total: announcement.size });
    this.#watchStalls();
    return true;
  }

  async #chunk(envelope: FileEnvelope & { kind: 'file-chunk' }, from: PeerId): Promise<void> {
    const incoming = this.#incoming.get(envelope.id);
    if (!incoming || this.#known.get(envelope.id)?.author !== from) return;
    const outcome = await incoming.accept(envelope.index, envelope.last, envelope.data, this.#room.now());
    if (this.#incoming.get(envelope.id) !== incoming || outcome === 'refused') return;
    if (outcome === 'taken') {
      this.#status.set(envelope.id, {
        state: 'receiving',
        done: incoming.receivedBytes,
        total: incoming.announcement.size,
      });
    } else {
      this.#incoming.delete(envelope.id);
      const bytes = await incoming.assemble();
      if (!this.#known.has(envelope.id)) return; // the author left meanwhile
      if (!bytes) return this.#fail(envelope.id, 'integrity');
      this.#content.set(envelope.id, { bytes, type: detectType(bytes) });
      this.#status.set(envelope.id, { state: 'ready' });
    }
    this.#room.changed();
  }

  async #serve(id: string, to: PeerId | undefined, ranges: ChunkRange[] | undefined): Promise<void> {
    const key = `${id}:${to ?? '*'}`;
    const known = this.#known.get(id);
    const content = this.#content.get(id);
    if (!known || !content || this.#serving.has(key)) return;
    this.#serving.add(key);
    const { announcement } = known;
    const progress = (done: number): void => {
      if (to !== undefined) return;
      this.#status.set(id, { state: 'sending', done, total: announcement.size });
      this.#room.changed();
    };
    progress(0);
    const sent = await this.#sendChunks(key, announcement, content.bytes, to, ranges, progress);
    const stillServing = this.#serving.delete(key);
    if (to === undefined && this.#status.get(id)?.state === 'sending') {
      this.#status.set(id, sent && stillServing ? { state: 'ready' } : { state: 'failed', failure: 'cancelled' });
      this.#room.changed();
    }
  }

  /** Seals and queues every chunk while `key` is being served; true if all of them left. */
  async #sendChunks(
    key: string,
    announcement: FileAnnouncement,
    bytes: Uint8Array<ArrayBuffer>,
    to: PeerId | undefined,
    ranges: ChunkRange[] | undefined,
    progress: (done: number) => void,
  ): Promise<boolean> {
    const { id, size, chunkSize } = announcement;
    const fileKey = await importFileKey(announcement.key);
    const count = chunkCount(size, chunkSize);
    const inFlight: Promise<boolean>[] = [];
    for (const index of chunkIndexes(count, ranges)) {
      if (!this.#serving.has(key)) return false;
      const last = index === count - 1;
      const end = Math.min(size, (index + 1) * chunkSize);
      const data = await sealChunk(fileKey, { fileId: id, index, last }, bytes.slice(index * chunkSize, end));
      const chunk: Envelope = { v: 1, kind: 'file-chunk', id, index, last, data };
      inFlight.push(this.#room.sendBulk(chunk, to).then((left) => (left && progress(end), left)));
      if (inFlight.length >= pipelineDepth && !(await inFlight.shift()!)) return false;
    }
    return (await Promise.all(inFlight)).every(Boolean);
  }

  #watchStalls(): void {
    if (this.#stallTimer !== undefined) return;
    this.#stallTimer = setInterval(() => {
      const now = this.#room.now();
      for (const [id, incoming] of this.#incoming) {
        if (incoming.stalled(now, this.#limits.stallMs)) this.#fail(id, 'stalled');
        else if (incoming.stalled(now, gapMs) && now - incoming.askedAt >= gapMs) this.#askForGaps(id, incoming, now);
      }
      if (this.#incoming.size === 0) {
        clearInterval(this.#stallTimer);
        this.#stallTimer = undefined;
      }
    }, stallCheckMs);
  }

  /** Chunks went missing (a dropped connection): the author sends them again, to us alone. */
  #askForGaps(id: string, incoming: IncomingFile, now: number): void {
    const author = this.#known.get(id)?.author;
    if (!author || !this.#room.connected()) return;
    incoming.askedAt = now;
    void this.#room.send({ v: 1, kind: 'file-request', id, missing: incoming.missing() }, author);
  }

  /** The oldest received file made room for a newer one. */
  #release(id: string): void {
    this.#fail(id, 'released');
    const name = this.#known.get(id)?.announcement.name ?? 'A file';
    this.#room.notice({ type: 'info', text: `${name} was released from memory to make room for newer files.` });
  }

  #drop(id: string): void {
    this.#incoming.delete(id);
    if (this.#known.get(id)?.author !== this.#room.selfId()) this.#content.delete(id);
    this.#budget.release(id);
  }

  #fail(id: string, failure: FileFailure): void {
    this.#drop(id);
    this.#status.set(id, { state: 'failed', failure });
    this.#room.changed();
  }
}

/** The chunk indexes to send: every one, or those in the ranges asked for (within the file). */
function* chunkIndexes(count: number, ranges: ChunkRange[] | undefined): Generator<number> {
  for (const [first, last] of ranges ?? [[0, count - 1]]) {
    for (let index = first; index <= Math.min(last, count - 1); index++) yield index;
  }
}
