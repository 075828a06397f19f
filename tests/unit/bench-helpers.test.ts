// The benchmark's pure parts: frame parsing, batching and the statistics it reports.
import { describe, expect, it } from 'vitest';
import { mergeLoad, splitLoad, type LoadPlan } from '../bench/load.ts';
import { batch } from '../bench/newcomer.ts';
import { encodeFrame, FrameReader, Opcode } from '../support/raw-websocket.ts';
import { median, quantile, ratio, serverFrameBytes } from '../bench/stats.ts';
import { startsWith, transports } from '../bench/transport.ts';

/** An unmasked server text frame, as a relay sends it. */
function serverFrame(text: string): Buffer {
  return encodeFrame({ opcode: Opcode.text, payload: Buffer.from(text), masked: false });
}

function read(chunks: Buffer[]): string[] {
  const texts: string[] = [];
  const reader = new FrameReader((data, start, end) => texts.push(data.toString('utf8', start, end)));
  for (const chunk of chunks) reader.push(chunk);
  return texts;
}

describe('FrameReader', () => {
  const texts = ['["add","a","x",1]', 'y'.repeat(300), 'z'.repeat(70_000)];
  const stream = Buffer.concat(texts.map(serverFrame));

  it('reads frames of all three length encodings from one chunk', () => {
    expect(read([stream])).toEqual(texts);
  });

  it('reads frames cut anywhere, even inside a header', () => {
    for (const cut of [1, 3, 19, 20, 21, 22, 320, 330, stream.length - 1]) {
      expect(read([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(texts);
    }
  });

  it('reads a stream arriving byte by byte', () => {
    const small = Buffer.concat(texts.slice(0, 2).map(serverFrame));
    expect(read([...small].map((byte) => Buffer.from([byte])))).toEqual(texts.slice(0, 2));
  });

  it('gives the frame sizes serverFrameBytes counts', () => {
    for (const text of texts) expect(serverFrame(text).length).toBe(serverFrameBytes(Buffer.byteLength(text)));
  });
});

describe('encodeFrame', () => {
  it('masks the payload with the key it carries', () => {
    for (const length of [5, 200, 70_000]) {
      const payload = Buffer.alloc(length, 'q');
      const frame = encodeFrame({ opcode: Opcode.text, payload });
      const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
      expect(frame[0]).toBe(0x81);
      expect(frame[1]! & 0x80).toBe(0x80);
      const mask = frame.subarray(header, header + 4);
      const unmasked = frame.subarray(header + 4).map((byte, i) => byte ^ mask[i & 3]!);
      expect(Buffer.from(unmasked).equals(payload)).toBe(true);
    }
  });
});

describe('transports', () => {
  it('recognise a delivery by its first bytes, for both wire formats', () => {
    const add = '["add","id","payload",1]';
    for (const transport of Object.values(transports)) {
      const wire = Buffer.from(transport.wrap(add));
      expect(startsWith(wire, 0, wire.length, transport.addPrefix)).toBe(true);
      const other = Buffer.from(transport.wrap('["fetch","id"]'));
      expect(startsWith(other, 0, other.length, transport.addPrefix)).toBe(false);
      expect(transport.unwrap(wire.toString(), () => {})).toBe(add);
    }
  });
});

describe('batch', () => {
  it('fills payloads up to the limit and keeps every message once', () => {
    const messages = Array.from({ length: 100 }, (_, i) => `m${i}_`.padEnd(50, 'A'));
    const batches = batch(messages, 1000);
    expect(batches.every((b) => b.length <= 1000)).toBe(true);
    expect(batches.join('.').split('.')).toEqual(messages);
    expect(batches.length).toBe(Math.ceil(100 / Math.floor(1001 / 51)));
  });
});

describe('statistics', () => {
  it('takes quantiles by nearest rank', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile(sorted, 1)).toBe(100);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('takes medians of odd and even counts, leaving out missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('gives no ratio without both values', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(NaN, 2)).toBeNaN();
    expect(ratio(3, 0)).toBeNaN();
  });
});

describe('load dealt out to several generators', () => {
  const plan: LoadPlan = {
    kind: 'load',
    transport: 'websocket',
    rooms: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, ports: [1, 2] })),
    payloadBytes: 160,
    drive: { kind: 'rate', messagesPerSecond: 1000, durationMs: 3000 },
    stallMs: 1000,
  };

  it('gives every room to one part, and each part its rooms’ share of the rate', () => {
    const parts = splitLoad(plan, 2);
    expect(parts.map((part) => part.rooms.map((room) => room.name))).toEqual([
      ['a', 'c', 'e'],
      ['b', 'd'],
    ]);
    expect(parts.map((part) => part.drive.kind === 'rate' && part.drive.messagesPerSecond)).toEqual([600, 400]);
    expect(splitLoad(plan, 8)).toHaveLength(5);
  });

  it('sums the counts and takes the quantiles over every part’s deliveries', () => {
    const merged = mergeLoad([
      { deliveries: 2, expected: 2, elapsedMs: 10, timedOut: false, latencies: Float64Array.from([5, 1]) },
      { deliveries: 2, expected: 3, elapsedMs: 12, timedOut: true, latencies: Float64Array.from([3, 100]) },
    ]);
    expect(merged).toEqual({
      deliveries: 4,
      expected: 5,
      elapsedMs: 12,
      timedOut: true,
      latency: { p50: 3, p99: 100, max: 100 },
    });
  });
});
