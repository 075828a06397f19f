// Images and files: chunk encryption and every tampering case, receiving
// within the limits, magic-byte detection, file names, and metadata removal
// on JPEG and PNG fixtures built here with GPS, camera and XMP data.
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../../client/src/lib/base64url.ts';
import { decodeEnvelope, encodeEnvelope, type Envelope } from '../../client/src/lib/envelope.ts';
import { fitsPayload } from '../../client/src/lib/envelope-fields.ts';
import type { Received, RoomContext } from '../../client/src/lib/feature.ts';
import {
  chunkSizeFor,
  importFileKey,
  newFileId,
  newFileKey,
  openChunk,
  sealChunk,
  sha256,
} from '../../client/src/lib/files/chunks.ts';
import { detectType } from '../../client/src/lib/files/detect.ts';
import { chunkCount, toFileAnnouncement, type FileAnnouncement } from '../../client/src/lib/files/envelopes.ts';
import { Files } from '../../client/src/lib/files/files.ts';
import { safeFileName } from '../../client/src/lib/files/names.ts';
import {
  crc32,
  pngChunk,
  stripGif,
  stripJpeg,
  stripMetadata,
  stripPng,
  stripWebp,
  tiffOrientation,
} from '../../client/src/lib/files/strip.ts';
import { IncomingFile, ReceivedBudget } from '../../client/src/lib/files/transfer.ts';
import {
  cameraTiff,
  gifWithMetadata,
  jpegSegment,
  metadataLeft,
  webpFlag,
  webpWithMetadata,
  xmp,
} from '../support/image-fixtures.ts';

const encoder = new TextEncoder();

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  return bytes;
}

/** A file sealed chunk by chunk as its author would send it. */
async function sealedFile(bytes: Uint8Array<ArrayBuffer>, chunkSize = 1024) {
  const announcement: FileAnnouncement = {
    id: newFileId(),
    name: 'notes.bin',
    size: bytes.length,
    type: 'application/octet-stream',
    chunkSize,
    key: newFileKey(),
    hash: await sha256(bytes),
  };
  const key = await importFileKey(announcement.key);
  const count = chunkCount(bytes.length, chunkSize);
  const chunks = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const last = index === count - 1;
      const data = await sealChunk(
        key,
        { fileId: announcement.id, index, last },
        bytes.slice(index * chunkSize, (index + 1) * chunkSize),
      );
      return { index, last, data };
    }),
  );
  return { announcement, chunks };
}

type Chunk = { index: number; last: boolean; data: string };

async function receiveAll(announcement: FileAnnouncement, chunks: readonly Chunk[]) {
  const incoming = new IncomingFile(announcement, importFileKey(announcement.key), 0);
  const outcomes = [];
  for (const chunk of chunks) outcomes.push(await incoming.accept(chunk.index, chunk.last, chunk.data, 1));
  return { incoming, outcomes };
}

describe('file chunks', () => {
  it('round-trip: every chunk opens at its place and the whole file matches its hash', async () => {
    const bytes = randomBytes(5000);
    const { announcement, chunks } = await sealedFile(bytes);
    const { incoming, outcomes } = await receiveAll(announcement, chunks);
    expect(outcomes).toEqual(['taken', 'taken', 'taken', 'taken', 'complete']);
    expect(await incoming.assemble()).toEqual(bytes);
  });

  it('an empty file travels as one empty chunk', async () => {
    const { announcement, chunks } = await sealedFile(new Uint8Array(0));
    const { incoming, outcomes } = await receiveAll(announcement, chunks);
    expect(outcomes).toEqual(['complete']);
    expect(await incoming.assemble()).toEqual(new Uint8Array(0));
  });

  it('refuses chunks reordered, from another file, repeated, extended, with the wrong key or the wrong last flag', async () => {
    const { announcement, chunks } = await sealedFile(randomBytes(3000));
    const other = await sealedFile(randomBytes(3000));
    const swappedKeys = { ...announcement, key: other.announcement.key };
    const cases: [FileAnnouncement, Chunk[]][] = [
      [announcement, [{ ...chunks[1]!, index: 0 }]], // reordered
      [announcement, [{ ...other.chunks[0]! }]], // from another file with another key
      [{ ...other.announcement, key: announcement.key }, [chunks[0]!]], // same key, other file id
      [announcement, [chunks[0]!, chunks[0]!]], // repeated: the second is refused
      [announcement, [{ ...chunks[2]!, index: 3 }]], // beyond the declared size
      [announcement, [{ ...chunks[2]!, last: false }]], // the last chunk passed off as a middle one
      [swappedKeys, [chunks[0]!]], // wrong key
    ];
    const results = [];
    for (const [declared, sent] of cases) results.push((await receiveAll(declared, sent)).outcomes.at(-1));
    expect(results).toEqual(['refused', 'refused', 'refused', 'refused', 'refused', 'refused', 'refused']);
  });

  it('refuses a chunk whose length does not fit the declared size', async () => {
    const bytes = randomBytes(2048);
    const { announcement, chunks } = await sealedFile(bytes);
    const smaller = { ...announcement, size: 2000 };
    expect((await receiveAll(smaller, chunks)).outcomes).toEqual(['taken', 'refused']);
  });

  it('a truncated file never completes, and a wrong hash is never shown', async () => {
    const bytes = randomBytes(3000);
    const { announcement, chunks } = await sealedFile(bytes);
    const truncated = await receiveAll(announcement, chunks.slice(0, 2));
    expect(truncated.outcomes).toEqual(['taken', 'taken']);
    expect(await truncated.incoming.assemble()).toBeUndefined();
    const wrongHash = await receiveAll({ ...announcement, hash: await sha256(randomBytes(10)) }, chunks);
    expect(wrongHash.outcomes.at(-1)).toBe('complete');
    expect(await wrongHash.incoming.assemble()).toBeUndefined();
  });

  it('a tampered ciphertext does not open', async () => {
    const { announcement, chunks } = await sealedFile(randomBytes(100));
    const key = await importFileKey(announcement.key);
    const data = chunks[0]!.data;
    const flipped = data.slice(0, 30) + (data[30] === 'A' ? 'B' : 'A') + data.slice(31);
    expect(await openChunk(key, { fileId: announcement.id, index: 0, last: true }, flipped)).toBeUndefined();
  });

  it('a chunk envelope of the chosen size fits the payload limit', () => {
    for (const maxPayload of [4096, 65_536, 1_048_576]) {
      const chunkSize = chunkSizeFor(maxPayload);
      const envelope: Envelope = {
        v: 1,
        kind: 'file-chunk',
        id: newFileId(),
        index: 2 ** 31,
        last: false,
        data: 'A'.repeat(Math.ceil(((chunkSize + 28) * 4) / 3)),
      };
      expect(fitsPayload(encodeEnvelope(envelope), maxPayload)).toBe(true);
      expect(fitsPayload(encodeEnvelope({ ...envelope, data: envelope.data + 'A'.repeat(1400) }), maxPayload)).toBe(
        false,
      );
    }
  });
});

describe('file envelopes', () => {
  it('decode what is well formed and nothing else', async () => {
    const { announcement } = await sealedFile(randomBytes(10));
    expect(toFileAnnouncement(announcement)).toEqual(announcement);
    for (const broken of [
      { ...announcement, id: 'short' },
      { ...announcement, key: 'x' },
      { ...announcement, size: -1 },
      { ...announcement, chunkSize: 10 },
      { ...announcement, type: '<script>' },
      { ...announcement, name: '' },
      { ...announcement, preview: toBase64url(new Uint8Array(30_000)) },
    ]) {
      expect(toFileAnnouncement(broken)).toBeUndefined();
    }
    const message = JSON.stringify({
      v: 1,
      kind: 'message',
      name: 'Ada',
      message: { id: '8c1d2f8e-1b2a-4c3d-9e8f-0a1b2c3d4e5f', text: '', file: announcement },
    });
    expect(decodeEnvelope(message)).toMatchObject({ kind: 'message', message: { text: '', file: announcement } });
    expect(decodeEnvelope(message.replace(`"file":${JSON.stringify(announcement)}`, '"file":1'))).toBeUndefined();
    expect(
      decodeEnvelope(
        JSON.stringify({ v: 1, kind: 'file-chunk', id: announcement.id, index: -1, last: true, data: 'AA' }),
      ),
    ).toBeUndefined();
    expect(decodeEnvelope(JSON.stringify({ v: 1, kind: 'file-request', id: announcement.id }))).toEqual({
      v: 1,
      kind: 'file-request',
      id: announcement.id,
    });
  });
});

describe('received budget', () => {
  it('releases the oldest files first and refuses a file larger than the whole budget', () => {
    const budget = new ReceivedBudget(100);
    expect(budget.reserve('a', 40)).toEqual([]);
    expect(budget.reserve('b', 40)).toEqual([]);
    expect(budget.reserve('c', 50)).toEqual(['a']);
    expect(budget.total).toBe(90);
    expect(budget.reserve('d', 101)).toBeUndefined();
    budget.release('b');
    expect(budget.total).toBe(50);
  });
});

/**
 * Two Files features joined by a fake room that delivers envelopes at once,
 * in order. `rename` gives a peer a new id, as a reconnect does; `samePerson`
 * says which ids are one tab.
 */
function pairOfRooms(
  limits: ConstructorParameters<typeof Files>[1] = {},
  samePerson: (a: string, b: string) => boolean = (a, b) => a === b,
) {
  const notices: string[] = [];
  const rooms = new Map<string, Files>();
  const ids = new Map<string, string>();
  const context = (name: string): RoomContext => {
    const self = () => ids.get(name) ?? name;
    const deliver = async (envelope: Envelope, to?: string): Promise<boolean> => {
      const decoded = decodeEnvelope(encodeEnvelope(envelope))!;
      for (const [peer, files] of rooms) {
        const id = ids.get(peer) ?? peer;
        if (id === self() || (to !== undefined && to !== id)) continue;
        const received: Received = { from: self(), ts: 1, self: false, unicast: to !== undefined };
        if (decoded.kind === 'file-chunk' || decoded.kind === 'file-request' || decoded.kind === 'file-cancel') {
          await files.receive(decoded, received);
        }
      }
      return true;
    };
    return {
      selfId: self,
      name: () => name,
      connected: () => true,
      relayNow: () => 0,
      now: () => 0,
      maxPayload: () => 4096,
      send: async (envelope, to) => void (await deliver(envelope, to)),
      sendBulk: deliver,
      fetch: async () => undefined,
      samePerson,
      notice: (notice) => {
        if (notice.type === 'info') notices.push(notice.text);
        return { kind: 'notice', id: 'n', ts: 0, notice };
      },
      live: () => undefined,
      changed: () => undefined,
    };
  };
  rooms.set('author', new Files(context('author'), limits));
  rooms.set('reader', new Files(context('reader'), limits));
  const author = rooms.get('author')!;
  const rename = (id: string): void => {
    const previous = ids.get('author') ?? 'author';
    ids.set('author', id);
    author.renamedSelf(previous, id);
  };
  return { author, reader: rooms.get('reader')!, notices, rename };
}

const fromAuthor: Received = { from: 'author', ts: 1, self: false, unicast: false };

describe('Files', () => {
  it('a live file reaches a reader whole, and a newcomer fetches it from the author', async () => {
    const { author, reader } = pairOfRooms();
    const bytes = randomBytes(20_000);
    const announcement = (await author.prepare({ name: 'a.bin', bytes })) as FileAnnouncement;
    reader.announced([announcement], fromAuthor, false);
    expect(reader.status(announcement.id)).toEqual({ state: 'waiting' });
    reader.request(announcement.id);
    await waitFor(() => reader.status(announcement.id)?.state === 'ready');
    expect(reader.content(announcement.id)?.bytes).toEqual(bytes);
    reader.forget('author');
    expect(reader.content(announcement.id)).toBeUndefined();
    expect(reader.heldBytes).toBe(0);
  });

  it('tells the sender before anything is sent when a file is over the limit', async () => {
    const { author } = pairOfRooms({ maxFileBytes: 1000 });
    expect(await author.prepare({ name: 'big.bin', bytes: randomBytes(1001) })).toMatch(/too large/);
  });

  it('holds no more than the budget: the oldest file is released with a note', async () => {
    const { author, reader, notices } = pairOfRooms({ maxReceivedBytes: 25_000 });
    const first = (await author.prepare({ name: 'first.bin', bytes: randomBytes(15_000) })) as FileAnnouncement;
    const second = (await author.prepare({ name: 'second.bin', bytes: randomBytes(15_000) })) as FileAnnouncement;
    reader.announced([first, second], fromAuthor, false);
    reader.request(first.id);
    await waitFor(() => reader.status(first.id)?.state === 'ready');
    reader.request(second.id);
    await waitFor(() => reader.status(second.id)?.state === 'ready');
    expect(reader.status(first.id)).toEqual({ state: 'failed', failure: 'released' });
    expect(reader.content(first.id)).toBeUndefined();
    expect(reader.heldBytes).toBe(15_000);
    expect(notices).toEqual(['first.bin was released from memory to make room for newer files.']);
  });

  // The author's tab reconnects under a new id (a relay restart without RELAY_SECRET); its messages, files
  // included, arrive again from that id, and the old id leaves, before or after.
  const sameTab = (a: string, b: string) => a.startsWith('author') && b.startsWith('author');

  it('keeps a received file when its author comes back under a new id and the old id leaves', async () => {
    const { author, reader, rename } = pairOfRooms({}, sameTab);
    const bytes = randomBytes(20_000);
    const announcement = (await author.prepare({ name: 'a.bin', bytes })) as FileAnnouncement;
    reader.announced([announcement], fromAuthor, false);
    reader.request(announcement.id);
    await waitFor(() => reader.status(announcement.id)?.state === 'ready');
    rename('author-2');
    reader.announced([announcement], { ...fromAuthor, from: 'author-2' }, false);
    reader.forget('author');
    expect(reader.status(announcement.id)).toEqual({ state: 'ready' });
    expect(reader.content(announcement.id)?.bytes).toEqual(bytes);
    reader.forget('author-2');
    expect(reader.content(announcement.id)).toBeUndefined();
  });

  it('fetches a file not yet received from its author under the new id, whichever news comes first', async () => {
    for (const order of ['announced first', 'left first'] as const) {
      const { author, reader, rename } = pairOfRooms({}, sameTab);
      const bytes = randomBytes(20_000);
      const announcement = (await author.prepare({ name: 'a.bin', bytes })) as FileAnnouncement;
      reader.announced([announcement], fromAuthor, false);
      rename('author-2');
      if (order === 'left first') reader.forget('author');
      reader.announced([announcement], { ...fromAuthor, from: 'author-2' }, false);
      if (order === 'announced first') reader.forget('author');
      expect(reader.status(announcement.id)).toEqual({ state: 'waiting' });
      reader.request(announcement.id);
      await waitFor(() => reader.status(announcement.id)?.state === 'ready');
      expect(reader.content(announcement.id)?.bytes).toEqual(bytes);
    }
  });

  it('does not let another member take over a file by announcing it again', async () => {
    const { author, reader } = pairOfRooms();
    const announcement = (await author.prepare({ name: 'a.bin', bytes: randomBytes(100) })) as FileAnnouncement;
    reader.announced([announcement], fromAuthor, false);
    reader.announced([announcement], { ...fromAuthor, from: 'stranger' }, false);
    reader.forget('author');
    expect(reader.status(announcement.id)).toBeUndefined();
  });

  it('refuses chunks for a file it was not told of, and from anyone but the author', async () => {
    const { author, reader } = pairOfRooms();
    const announcement = (await author.prepare({ name: 'a.bin', bytes: randomBytes(100) })) as FileAnnouncement;
    const { chunks } = await sealedFile(randomBytes(100));
    await reader.receive({ v: 1, kind: 'file-chunk', id: announcement.id, ...chunks[0]! }, fromAuthor);
    expect(reader.status(announcement.id)).toBeUndefined();
    reader.announced([announcement], fromAuthor, true);
    await reader.receive(
      { v: 1, kind: 'file-chunk', id: announcement.id, ...chunks[0]! },
      { ...fromAuthor, from: 'stranger' },
    );
    expect(reader.status(announcement.id)).toEqual({ state: 'receiving', done: 0, total: 100 });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('type detection', () => {
  it('reads the magic bytes, whatever the name says', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(detectType(png)).toMatchObject({ mime: 'image/png', inline: true });
    expect(detectType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toMatchObject({ mime: 'image/jpeg', inline: true });
    expect(detectType(encoder.encode('GIF89a....'))).toMatchObject({ mime: 'image/gif', inline: true });
    expect(detectType(encoder.encode('RIFF\0\0\0\0WEBPVP8 '))).toMatchObject({ mime: 'image/webp', inline: true });
    expect(detectType(encoder.encode('\0\0\0\x1cftypavif'))).toMatchObject({ mime: 'image/avif', inline: true });
    expect(detectType(encoder.encode('%PDF-1.7'))).toMatchObject({ mime: 'application/pdf', inline: false });
  });

  it('never shows an SVG or HTML file renamed .png', () => {
    for (const text of [
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      '\uFEFF<?xml version="1.0"?><svg/>',
      '<!DOCTYPE html><html><script>alert(1)</script>',
      '   <html>',
    ]) {
      expect(detectType(encoder.encode(text))).toMatchObject({ mime: 'application/octet-stream', inline: false });
    }
  });
});

describe('file names', () => {
  it('have no path, no control characters, and show bidi overrides', () => {
    expect(safeFileName('invoice\u202Efdp.exe')).toBe('invoice[U+202E]fdp.exe');
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('C:\\Users\\x.txt')).toBe('C__Users_x.txt');
    expect(safeFileName('a\u0000b\u001fc\u0085d.txt')).toBe('abcd.txt');
    expect(safeFileName('\u2067evil\u2069.png')).toBe('[U+2067]evil[U+2069].png');
    expect(safeFileName('...')).toBe('file');
    expect(safeFileName('x'.repeat(400))).toHaveLength(255);
  });
});

// --- Metadata fixtures ---

function jpegFixture(orientation: number) {
  const pixels = {
    dqt: jpegSegment(0xdb, randomBytes(65)),
    sof: jpegSegment(0xc0, new Uint8Array([8, 0, 16, 0, 16, 1, 1, 0x11, 0])),
    dht: jpegSegment(0xc4, randomBytes(30)),
    scan: [
      ...jpegSegment(0xda, new Uint8Array([1, 1, 0, 0, 63, 0])),
      ...randomBytes(200).map((b) => (b === 0xff ? 0 : b)),
      0xff,
      0xd9,
    ],
  };
  const icc = jpegSegment(0xe2, encoder.encode('ICC_PROFILE\0\x01\x01profile'));
  const bytes = new Uint8Array([
    0xff,
    0xd8,
    ...jpegSegment(0xe0, new Uint8Array([...encoder.encode('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 2, 2, ...randomBytes(12)])),
    ...jpegSegment(0xe1, new Uint8Array([...encoder.encode('Exif\0\0'), ...cameraTiff(orientation)])),
    ...jpegSegment(0xe1, encoder.encode(`http://ns.adobe.com/xap/1.0/\0${xmp}`)),
    ...jpegSegment(0xed, encoder.encode('Photoshop 3.0\x008BIM\x04\x04 IPTC city: Paris')),
    ...jpegSegment(0xfe, encoder.encode('shot with PhoneCam')),
    ...icc,
    ...pixels.dqt,
    ...pixels.sof,
    ...pixels.dht,
    ...pixels.scan,
  ]);
  return { bytes, kept: [...icc, ...pixels.dqt, ...pixels.sof, ...pixels.dht, ...pixels.scan] };
}

describe('metadata removal', () => {
  it('JPEG: EXIF, GPS, XMP, IPTC and comments go; the image data and colour profile stay byte for byte', () => {
    const { bytes, kept } = jpegFixture(1);
    expect(metadataLeft(bytes).length).toBeGreaterThan(4);
    const stripped = stripJpeg(bytes)!;
    expect(stripped.removed).toBe(true);
    expect(metadataLeft(stripped.bytes)).toEqual([]);
    const jfif = jpegSegment(0xe0, new Uint8Array([...encoder.encode('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]));
    expect([...stripped.bytes]).toEqual([0xff, 0xd8, ...jfif, ...kept]);
  });

  it('JPEG: a rotated photo keeps its orientation, alone', () => {
    const stripped = stripJpeg(jpegFixture(6).bytes)!;
    expect(metadataLeft(stripped.bytes)).toEqual([]);
    const exifAt = stripped.bytes.findIndex((byte, i) => byte === 0xff && stripped.bytes[i + 1] === 0xe1);
    expect(exifAt).toBeGreaterThan(0);
    expect(tiffOrientation(stripped.bytes.subarray(exifAt + 10))).toBe(6);
  });

  it('JPEG: malformed input is refused rather than half stripped', () => {
    const { bytes } = jpegFixture(1);
    expect(stripJpeg(bytes.subarray(0, 40))).toBeUndefined();
    expect(stripJpeg(encoder.encode('not a jpeg'))).toBeUndefined();
  });

  function pngFixture(orientation: number) {
    const width = 4;
    const height = 3;
    const raw = new Uint8Array(height * (1 + width * 4));
    for (let y = 0; y < height; y++) raw.set(randomBytes(width * 4), y * (1 + width * 4) + 1);
    const ihdr = new Uint8Array([0, 0, 0, width, 0, 0, 0, height, 8, 6, 0, 0, 0]);
    const parts = [
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('eXIf', cameraTiff(orientation)),
      pngChunk('tEXt', encoder.encode('Software\0PhoneCam editor')),
      pngChunk('zTXt', new Uint8Array([...encoder.encode('Comment\0'), 0, ...deflateSync(encoder.encode('Paris'))])),
      pngChunk('iTXt', encoder.encode(`XML:com.adobe.xmp\0\0\0\0\0${xmp}`)),
      pngChunk('tIME', new Uint8Array([7, 232, 5, 1, 12, 0, 0])),
      pngChunk('IDAT', deflateSync(raw)),
      pngChunk('IEND', new Uint8Array(0)),
    ];
    const bytes = new Uint8Array(parts.reduce<number[]>((all, part) => [...all, ...part], []));
    return { bytes, raw };
  }

  function pngChunks(bytes: Uint8Array): { type: string; data: Uint8Array }[] {
    const chunks = [];
    for (let at = 8; at < bytes.length;) {
      const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);
      const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      const data = bytes.subarray(at + 8, at + 8 + length);
      expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 8 + length)).toBe(
        crc32(bytes.subarray(at + 4, at + 8 + length)),
      );
      chunks.push({ type, data });
      at += 12 + length;
    }
    return chunks;
  }

  it('PNG: eXIf, text, XMP and time chunks go; the pixels stay the same', () => {
    const { bytes, raw } = pngFixture(1);
    expect(metadataLeft(bytes).length).toBeGreaterThan(3);
    const stripped = stripPng(bytes)!;
    expect(stripped.removed).toBe(true);
    expect(metadataLeft(stripped.bytes)).toEqual([]);
    const chunks = pngChunks(stripped.bytes);
    expect(chunks.map((chunk) => chunk.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(new Uint8Array(inflateSync(chunks[1]!.data))).toEqual(raw);
  });

  it('PNG: a rotated image keeps its orientation, alone', () => {
    const stripped = stripPng(pngFixture(8).bytes)!;
    const chunks = pngChunks(stripped.bytes);
    expect(chunks.map((chunk) => chunk.type)).toEqual(['IHDR', 'eXIf', 'IDAT', 'IEND']);
    expect(tiffOrientation(chunks[1]!.data)).toBe(8);
    expect(metadataLeft(stripped.bytes)).toEqual([]);
  });

  it('PNG: a truncated file is refused', () => {
    const { bytes } = pngFixture(1);
    expect(stripPng(bytes.subarray(0, bytes.length - 20))).toBeUndefined();
  });
});

describe('metadata removal from WebP and GIF', () => {
  function riffChunks(bytes: Uint8Array): { type: string; data: Uint8Array }[] {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('RIFF');
    expect(view.getUint32(4, true)).toBe(bytes.length - 8);
    const chunks = [];
    for (let at = 12; at < bytes.length;) {
      const length = view.getUint32(at + 4, true);
      chunks.push({
        type: String.fromCharCode(...bytes.subarray(at, at + 4)),
        data: bytes.subarray(at + 8, at + 8 + length),
      });
      at += 8 + length + (length & 1);
    }
    return chunks;
  }

  it('WebP: EXIF, XMP and unknown chunks go, their VP8X flags are cleared, the image data stays byte for byte', () => {
    const image = randomBytes(101);
    const bytes = webpWithMetadata(image);
    expect(metadataLeft(bytes).length).toBeGreaterThan(3);
    const stripped = stripWebp(bytes)!;
    expect(stripped.removed).toBe(true);
    expect(metadataLeft(stripped.bytes)).toEqual([]);
    const chunks = riffChunks(stripped.bytes);
    expect(chunks.map((chunk) => chunk.type)).toEqual(['VP8X', 'ICCP', 'VP8L']);
    expect(chunks[0]!.data[0]).toBe(webpFlag.icc);
    expect([...chunks[0]!.data.subarray(1)]).toEqual([0, 0, 0, 3, 0, 0, 2, 0, 0]);
    expect(Buffer.from(chunks[2]!.data).equals(image)).toBe(true);
    expect(stripMetadata(bytes, 'image/webp')).toEqual(stripped);
  });

  it('WebP: a rotated image keeps its orientation, alone, with the EXIF flag', () => {
    const stripped = stripWebp(webpWithMetadata(randomBytes(100), 6))!;
    const chunks = riffChunks(stripped.bytes);
    expect(chunks.map((chunk) => chunk.type)).toEqual(['VP8X', 'ICCP', 'VP8L', 'EXIF']);
    expect(chunks[0]!.data[0]).toBe(webpFlag.icc | webpFlag.exif);
    expect(tiffOrientation(chunks[3]!.data)).toBe(6);
    expect(metadataLeft(stripped.bytes)).toEqual([]);
  });

  it('WebP: a file without metadata comes back as it was', () => {
    const stripped = stripWebp(webpWithMetadata(randomBytes(100)))!;
    const again = stripWebp(stripped.bytes)!;
    expect(again.removed).toBe(false);
    expect(Buffer.from(again.bytes).equals(Buffer.from(stripped.bytes))).toBe(true);
  });

  it('WebP: a truncated file or a chunk running past its end is refused', () => {
    const bytes = webpWithMetadata(randomBytes(100));
    expect(stripWebp(bytes.subarray(0, bytes.length - 10))).toBeUndefined();
    const overlong = bytes.slice();
    new DataView(overlong.buffer).setUint32(12 + 4, 1000, true); // VP8X claims 1000 bytes
    expect(stripWebp(overlong)).toBeUndefined();
  });

  it('GIF: comments and XMP go; looping, the frame and its timing stay byte for byte', () => {
    const { bytes, kept } = gifWithMetadata();
    expect(metadataLeft(bytes).length).toBeGreaterThan(2);
    const stripped = stripGif(bytes)!;
    expect(stripped.removed).toBe(true);
    expect(metadataLeft(stripped.bytes)).toEqual([]);
    expect([...stripped.bytes]).toEqual(kept.flat());
    expect(stripMetadata(bytes, 'image/gif')).toEqual(stripped);
    const again = stripGif(stripped.bytes)!;
    expect(again.removed).toBe(false);
    expect([...again.bytes]).toEqual(kept.flat());
  });

  it('GIF: a truncated file or an unknown block is refused', () => {
    const { bytes } = gifWithMetadata();
    expect(stripGif(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(stripGif(bytes.subarray(0, 40))).toBeUndefined();
    const unknown = bytes.slice();
    unknown[19] = 0x42; // where the first extension starts
    expect(stripGif(unknown)).toBeUndefined();
  });
});

describe('lost chunks', () => {
  it('a receiver names the ranges it lacks, and the author sends just those', async () => {
    const bytes = randomBytes(10 * 1024);
    const { announcement, chunks } = await sealedFile(bytes);
    const incoming = new IncomingFile(announcement, importFileKey(announcement.key), 0);
    for (const index of [0, 3, 4, 8]) await incoming.accept(index, chunks[index]!.last, chunks[index]!.data, 1);
    expect(incoming.missing()).toEqual([
      [1, 2],
      [5, 7],
      [9, 9],
    ]);
    const request = decodeEnvelope(
      JSON.stringify({ v: 1, kind: 'file-request', id: announcement.id, missing: incoming.missing() }),
    );
    expect(request).toMatchObject({
      missing: [
        [1, 2],
        [5, 7],
        [9, 9],
      ],
    });
    expect(
      decodeEnvelope(JSON.stringify({ v: 1, kind: 'file-request', id: announcement.id, missing: [[3, 1]] })),
    ).toBeUndefined();
  });

  it('the author answers a request for missing chunks with those chunks only, and the file completes', async () => {
    const { author, reader } = pairOfRooms();
    const bytes = randomBytes(20_000);
    const announcement = (await author.prepare({ name: 'a.bin', bytes })) as FileAnnouncement;
    reader.announced([announcement], fromAuthor, true);
    // The live chunks, but for two lost on the way.
    const key = await importFileKey(announcement.key);
    const count = chunkCount(bytes.length, announcement.chunkSize);
    for (let index = 0; index < count; index++) {
      if (index === 2 || index === 3) continue;
      const last = index === count - 1;
      const plaintext = bytes.slice(index * announcement.chunkSize, (index + 1) * announcement.chunkSize);
      const data = await sealChunk(key, { fileId: announcement.id, index, last }, plaintext);
      await reader.receive({ v: 1, kind: 'file-chunk', id: announcement.id, index, last, data }, fromAuthor);
    }
    expect(reader.status(announcement.id)?.state).toBe('receiving');
    await author.receive(
      { v: 1, kind: 'file-request', id: announcement.id, missing: [[2, 3]] },
      { ...fromAuthor, from: 'reader' },
    );
    await waitFor(() => reader.status(announcement.id)?.state === 'ready');
    expect(reader.content(announcement.id)?.bytes).toEqual(bytes);
  });
});
