import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  Connection,
  connectionDefaults,
  maxQueuedBytes,
  Pacer,
  bulkBurst,
  type SocketLike,
} from '../../client/src/lib/connection.ts';
import { encodeInit, type InitInfo } from '../../protocol/index.ts';
import { takeFrame, type TokenBucket } from '../../relay/rate-limit.ts';

const backoff = { baseMs: 500, maxMs: 15_000 };

describe('reconnection backoff', () => {
  it('doubles from the base, with jitter between half and all of each step', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, 0, backoff))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, 0.999_999, backoff))).toEqual([500, 1000, 2000, 4000]);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    for (const attempt of [5, 6, 50, 10_000]) {
      expect(backoffDelay(attempt, 0.999_999, backoff)).toBeLessThanOrEqual(15_000);
      expect(backoffDelay(attempt, 0, backoff)).toBe(7500);
    }
  });

  it('spreads clients dropped at once', () => {
    const delays = new Set(Array.from({ length: 100 }, (_, i) => backoffDelay(3, i / 100, backoff)));
    expect(delays.size).toBeGreaterThan(90);
  });

  it('has its defaults in one place', () => {
    expect(connectionDefaults.backoff).toEqual(backoff);
  });
});

describe('outgoing pacing', () => {
  it('lets a burst through, then spaces frames just under the relay rate', () => {
    const pacer = new Pacer({ rate: 30, burst: 60 });
    const immediate = Array.from({ length: 60 }, () => pacer.take(0, 100)).filter((wait) => wait === 0).length;
    expect(immediate).toBe(54);
    const wait = pacer.take(0, 100);
    expect(wait).toBeGreaterThan(30);
    expect(wait).toBeLessThanOrEqual(38);
    expect(pacer.take(wait, 100)).toBe(0);
  });

  it('never holds frames back when the relay has no rate limit', () => {
    const pacer = new Pacer({ rate: 0, burst: 1 });
    expect(Array.from({ length: 1000 }, () => pacer.take(0, 100_000)).every((wait) => wait === 0)).toBe(true);
  });

  const budget = { rate: 30, burst: 60, byteRate: 1_000_000, byteBurst: 400_000 };

  it('spaces large frames by their bytes, just under the relay byte rate', () => {
    const pacer = new Pacer(budget);
    // 90 % of the byte burst is 360,000 bytes: three frames of 100,000.
    expect([0, 0, 0].map(() => pacer.take(0, 100_000))).toEqual([0, 0, 0]);
    const wait = pacer.take(0, 100_000);
    // The missing 40,000 bytes at 900,000 a second.
    expect(wait).toBe(45);
    expect(pacer.take(wait - 1, 100_000)).toBeGreaterThan(0);
    expect(pacer.take(wait, 100_000)).toBe(0);
  });

  it('still spaces small frames by the frame rate when a byte budget is there', () => {
    const pacer = new Pacer(budget);
    const immediate = Array.from({ length: 60 }, () => pacer.take(0, 100)).filter((wait) => wait === 0).length;
    expect(immediate).toBe(54);
  });

  it('lets a frame larger than its byte burst through once the bucket is full', () => {
    const pacer = new Pacer(budget);
    expect(pacer.take(0, 390_000)).toBe(0);
    expect(pacer.take(0, 390_000)).toBe(400);
    expect(pacer.take(400, 390_000)).toBe(0);
  });

  it('sends nothing the relay budgets would refuse, and keeps close to them', () => {
    const pacer = new Pacer(budget);
    const frames: TokenBucket = { tokens: budget.burst, tokensAt: 0 };
    const bytes: TokenBucket = { tokens: budget.byteBurst, tokensAt: 0 };
    const sizes = [100_000, 200, 130_000, 50, 70_000];
    let now = 0;
    let sent = 0;
    for (let i = 0; now < 10_000; i++) {
      const size = sizes[i % sizes.length]!;
      // As the connection drains: wait as long as the pacer says, then ask again.
      for (let wait = pacer.take(now, size); wait > 0; wait = pacer.take(now, size)) now += wait;
      expect(takeFrame(frames, bytes, budget, size, now)).toBeUndefined();
      sent += size;
    }
    expect(sent).toBeGreaterThan(0.85 * (budget.byteRate * 10 + budget.byteBurst));
  });

  it('lets bulk data use only part of the burst, keeping the rest for text sent meanwhile', () => {
    const relayBudget = { rate: 30, burst: 60, byteRate: 2_000_000, byteBurst: 4_000_000 };
    const pacer = new Pacer(relayBudget);
    const chunk = 260_000;
    const immediate = Array.from({ length: 10 }, () => pacer.take(0, chunk, true)).filter((wait) => wait === 0);
    expect(immediate).toHaveLength(Math.floor(bulkBurst.bytes / chunk));
    // Then bulk data flows at the sustained rate, and text sent meanwhile never waits.
    let now = 0;
    let sent = immediate.length * chunk;
    let textWaits = 0;
    let texts = 0;
    for (let i = 0; now < 10_000; i++) {
      for (let wait = pacer.take(now, chunk, true); wait > 0; wait = pacer.take(now, chunk, true)) now += wait;
      sent += chunk;
      if (i % 3 === 0) {
        textWaits += pacer.take(now, 1000);
        texts++;
      }
    }
    expect(texts).toBeGreaterThan(20);
    expect(textWaits).toBe(0);
    expect(sent).toBeGreaterThan(relayBudget.byteRate * 0.85 * 10);
    expect(sent).toBeLessThan(relayBudget.byteRate * 0.9 * 10 + bulkBurst.bytes + chunk);
  });

  it('keeps bulk data to a few frames of the burst under a frame budget alone', () => {
    const pacer = new Pacer({ rate: 30, burst: 60 });
    const immediate = Array.from({ length: 20 }, () => pacer.take(0, 60_000, true)).filter((wait) => wait === 0);
    expect(immediate).toHaveLength(bulkBurst.frames);
  });

  it('applies only the frame rate for a relay that announces no byte budget', () => {
    const pacer = new Pacer({ rate: 30, burst: 60 });
    expect(Array.from({ length: 54 }, () => pacer.take(0, 1_000_000)).every((wait) => wait === 0)).toBe(true);
  });
});

describe('outgoing queue', () => {
  class SlowSocket implements SocketLike {
    readyState = 1;
    onmessage: ((event: MessageEvent) => void) | null = null;
    onclose: ((event: CloseEvent) => void) | null = null;
    onerror: ((event: Event) => void) | null = null;
    readonly sent: string[] = [];
    send(text: string): void {
      this.sent.push(text);
    }
    close(): void {
      this.readyState = 3;
    }
  }

  /** A connection whose relay allows one frame a second: everything after the first waits in the queue. */
  function slowConnection(): { connection: Connection; socket: SlowSocket } {
    const socket = new SlowSocket();
    const connection = new Connection({
      origin: 'ws://relay.test',
      room: 'room',
      onInit: () => {},
      onFrame: () => {},
      createSocket: () => socket,
    });
    const info: InitInfo = { v: 1, limits: { maxPayload: 65_536, rate: 1, burst: 1 } };
    socket.onmessage?.({ data: encodeInit('me', [], info) } as MessageEvent);
    connection.send(['send', 'first']);
    return { connection, socket };
  }

  afterEach(() => vi.useRealTimers());

  it('sends live frames before queued history answers', () => {
    vi.useFakeTimers();
    const { connection, socket } = slowConnection();
    connection.send(['send', 'history', 'them'], { answerTo: 'them' });
    connection.send(['send', 'live']);
    vi.advanceTimersByTime(5000);
    expect(socket.sent.map((text) => JSON.parse(text)[1])).toEqual(['first', 'live', 'history']);
    connection.close();
  });

  it('keeps one answer per requester: asking again replaces what is still queued (review finding: fetch amplification)', () => {
    const { connection } = slowConnection();
    for (let i = 0; i < 50; i++) connection.send(['send', `batch ${i}`, 'stranger'], { answerTo: 'stranger' });
    connection.send(['send', 'for someone else', 'friend'], { answerTo: 'friend' });
    expect(connection.queued.frames).toBe(51);
    connection.discardAnswer('stranger');
    expect(connection.queued.frames).toBe(1);
    connection.close();
  });

  it('bounds the queue in bytes, refusing (and counting) what does not fit', () => {
    const { connection } = slowConnection();
    const payload = 'x'.repeat(60_000);
    let accepted = 0;
    for (let i = 0; i < 1000; i++) if (connection.send(['send', payload, 'them'], { answerTo: 'them' })) accepted++;
    expect(connection.queued.bytes).toBeLessThanOrEqual(maxQueuedBytes);
    expect(accepted).toBeLessThan(1000);
    expect(connection.overflowed).toBe(1000 - accepted);
    connection.close();
  });
});
