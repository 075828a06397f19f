// Receiving a file: chunks are taken only at their own position, once, with
// the length the announcement implies, and the whole file is shown only when
// its SHA-256 matches the announced one. The budget bounds what a tab holds.
import { openChunk, sha256, type ChunkPosition } from './chunks.ts';
import { chunkCount, maxRequestedRanges, type ChunkRange, type FileAnnouncement } from './envelopes.ts';

export type FileFailure = 'too-large' | 'author-left' | 'integrity' | 'stalled' | 'cancelled' | 'released';

export const failureText: Record<FileFailure, string> = {
  'too-large': 'too large',
  'author-left': 'the author left',
  integrity: 'integrity check failed',
  stalled: 'the transfer stalled',
  cancelled: 'cancelled',
  released: 'released to make room for newer files',
};

/** What became of one chunk. */
export type ChunkOutcome = 'taken' | 'complete' | 'refused';

export class IncomingFile {
  readonly announcement: FileAnnouncement;
  readonly count: number;
  #key: CryptoKey | Promise<CryptoKey>;
  #chunks: (Uint8Array<ArrayBuffer> | undefined)[];
  /** Indexes claimed, opened or being opened, so a repeat is refused at once. */
  #claimed = new Set<number>();
  #opened = 0;
  receivedBytes = 0;
  lastActivity: number;
  /** When we last asked the author for missing chunks. */
  askedAt = -Infinity;

  constructor(announcement: FileAnnouncement, key: CryptoKey | Promise<CryptoKey>, now: number) {
    this.announcement = announcement;
    this.#key = key;
    this.count = chunkCount(announcement.size, announcement.chunkSize);
    this.#chunks = new Array<Uint8Array<ArrayBuffer> | undefined>(this.count);
    this.lastActivity = now;
  }

  /** The plaintext length chunk `index` must have. */
  expectedLength(index: number): number {
    const { size, chunkSize } = this.announcement;
    return index < this.count - 1 ? chunkSize : size - chunkSize * (this.count - 1);
  }

  /** Takes one chunk; a chunk out of place, repeated, of the wrong length or failing authentication is refused. */
  async accept(index: number, last: boolean, data: string, now: number): Promise<ChunkOutcome> {
    if (index >= this.count || last !== (index === this.count - 1) || this.#claimed.has(index)) return 'refused';
    this.#claimed.add(index);
    const position: ChunkPosition = { fileId: this.announcement.id, index, last };
    const plaintext = await openChunk(await this.#key, position, data);
    if (!plaintext || plaintext.length !== this.expectedLength(index)) {
      this.#claimed.delete(index);
      return 'refused';
    }
    this.#chunks[index] = plaintext;
    this.receivedBytes += plaintext.length;
    this.lastActivity = now;
    return ++this.#opened === this.count ? 'complete' : 'taken';
  }

  /** The whole file once every chunk is in and the hash matches; undefined if it does not. */
  async assemble(): Promise<Uint8Array<ArrayBuffer> | undefined> {
    const whole = new Uint8Array(this.announcement.size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      if (!chunk) return undefined;
      whole.set(chunk, offset);
      offset += chunk.length;
    }
    this.#chunks = [];
    return (await sha256(whole)) === this.announcement.hash ? whole : undefined;
  }

  /** The ranges of chunks not yet taken, at most `maxRequestedRanges` of them, oldest first. */
  missing(): ChunkRange[] {
    const ranges: ChunkRange[] = [];
    for (let index = 0; index < this.count && ranges.length < maxRequestedRanges; index++) {
      if (this.#claimed.has(index)) continue;
      const first = index;
      while (index + 1 < this.count && !this.#claimed.has(index + 1)) index++;
      ranges.push([first, index]);
    }
    return ranges;
  }

  stalled(now: number, stallMs: number): boolean {
    return now - this.lastActivity >= stallMs;
  }
}

/**
 * Bytes held for received files, oldest first. Reserving room for a new file
 * releases the oldest ones until it fits; a file larger than the whole budget
 * is refused.
 */
export class ReceivedBudget {
  readonly #limit: number;
  readonly #held = new Map<string, number>();
  #total = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get total(): number {
    return this.#total;
  }

  /** Reserves `bytes` for `id`; returns the ids released to make room, or undefined if it can never fit. */
  reserve(id: string, bytes: number): string[] | undefined {
    if (bytes > this.#limit) return undefined;
    this.release(id);
    const released: string[] = [];
    for (const [oldest, size] of this.#held) {
      if (this.#total + bytes <= this.#limit) break;
      this.#held.delete(oldest);
      this.#total -= size;
      released.push(oldest);
    }
    this.#held.set(id, bytes);
    this.#total += bytes;
    return released;
  }

  release(id: string): void {
    const size = this.#held.get(id);
    if (size === undefined) return;
    this.#held.delete(id);
    this.#total -= size;
  }
}
