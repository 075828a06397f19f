import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  Connection,
  connectionDefaults,
  maxQueuedBytes,
  Pacer,
  type SocketLike,
} from '../../client/src/lib/connection.ts';
import { encodeInit, type InitInfo } from '../../protocol/index.ts';

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
    const immediate = Array.from({ length: 60 }, () => pacer.take(0)).filter((wait) => wait === 0).length;
    expect(immediate).toBe(54);
    const wait = pacer.take(0);
    expect(wait).toBeGreaterThan(30);
    expect(wait).toBeLessThanOrEqual(38);
    expect(pacer.take(wait)).toBe(0);
  });

  it('never holds frames back when the relay has no rate limit', () => {
    const pacer = new Pacer({ rate: 0, burst: 1 });
    expect(Array.from({ length: 1000 }, () => pacer.take(0)).every((wait) => wait === 0)).toBe(true);
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
