// Message load through rooms: the first peer of each room sends, everyone in
// the room (the sender included, by its echo) counts deliveries. Either as
// fast as the relay takes them, with a bounded number of messages in flight
// per room, or at a fixed total rate, with latency taken from a timestamp
// the sender writes into each payload.
import { performance } from 'node:perf_hooks';
import { arrivalAnnouncements, joinAll, joinRoom, until, type Peer } from './peer.ts';
import type { FrameHandler } from '../support/raw-websocket.ts';
import { summarizeLatency, type LatencySummary } from './stats.ts';
import type { TransportName } from './transport.ts';

export type Drive =
  /** As fast as the relay takes it, at most `window` messages of a room not yet delivered to all. */
  | { kind: 'window'; window: number; durationMs: number }
  /** `messagesPerSecond` in all, spread over the rooms in turn. */
  | { kind: 'rate'; messagesPerSecond: number; durationMs: number };

export interface LoadPlan {
  kind: 'load';
  transport: TransportName;
  /** Each room's name and, for each of its peers, the port of the relay it joins. */
  rooms: { name: string; ports: number[] }[];
  payloadBytes: number;
  /** Senders send for the drive's duration; then the round waits for what is in flight. */
  drive: Drive;
  /** The round gives up `stallMs` after the last delivery. */
  stallMs: number;
}

export interface LoadResult {
  deliveries: number;
  expected: number;
  elapsedMs: number;
  timedOut: boolean;
  latency: LatencySummary | undefined;
}

/** What one generator process measured of its share of the rooms: the latencies themselves, to be merged. */
export type LoadPartResult = Omit<LoadResult, 'latency'> & { latencies: Float64Array | undefined };

/**
 * The plan's rooms dealt out to `parts` generator processes, each with its
 * share of a fixed rate, so that no one event loop carries every socket.
 */
export function splitLoad(plan: LoadPlan, parts: number): LoadPlan[] {
  const shares = Array.from({ length: Math.min(parts, plan.rooms.length) }, (_, part) =>
    plan.rooms.filter((_, index) => index % parts === part),
  );
  return shares.map((rooms) => ({
    ...plan,
    rooms,
    drive:
      plan.drive.kind === 'rate'
        ? { ...plan.drive, messagesPerSecond: (plan.drive.messagesPerSecond * rooms.length) / plan.rooms.length }
        : plan.drive,
  }));
}

/** One result from the parts: counts summed, the longest part's time, latencies over all deliveries. */
export function mergeLoad(parts: LoadPartResult[]): LoadResult {
  const sum = (pick: (part: LoadPartResult) => number): number => parts.reduce((total, part) => total + pick(part), 0);
  const latencies = parts.flatMap((part) => (part.latencies ? [part.latencies] : []));
  const all = new Float64Array(latencies.reduce((total, part) => total + part.length, 0));
  latencies.reduce((offset, part) => (all.set(part, offset), offset + part.length), 0);
  return {
    deliveries: sum((part) => part.deliveries),
    expected: sum((part) => part.expected),
    elapsedMs: Math.max(...parts.map((part) => part.elapsedMs)),
    timedOut: parts.some((part) => part.timedOut),
    latency: latencies.length > 0 ? summarizeLatency(all) : undefined,
  };
}

interface RoomLoad {
  sender: Peer;
  size: number;
  sent: number;
  delivered: number;
}

const tilde = 0x7e;

/** A payload of `bytes` characters: `~<send time, µs>~` then padding. */
function payload(bytes: number): string {
  const stamp = `~${Math.round(performance.now() * 1000)}~`;
  return stamp + 'x'.repeat(Math.max(0, bytes - stamp.length));
}

/** The send time written in a delivered frame's payload, in µs. */
function stampOf(data: Buffer, start: number, end: number): number {
  let at = data.indexOf(tilde, start) + 1;
  let micros = 0;
  while (at > 0 && at < end && data[at] !== tilde) micros = micros * 10 + data[at++]! - 0x30;
  return micros;
}

export interface PreparedLoad {
  run(): Promise<LoadPartResult>;
  close(): void;
}

/** Joins every peer of the plan and waits until the joins' own fetch frames have all arrived. */
export async function prepareLoad(plan: LoadPlan): Promise<PreparedLoad> {
  const { drive } = plan;
  const largestRoom = Math.max(...plan.rooms.map((room) => room.ports.length));
  const latencies =
    drive.kind === 'rate'
      ? new Float64Array(Math.ceil((drive.messagesPerSecond * drive.durationMs) / 1000 + 1) * largestRoom)
      : undefined;
  let delivered = 0;
  let fetches = 0;
  let onDelivery = (_load: RoomLoad): void => {};
  const loads: RoomLoad[] = [];

  const peers: Peer[] = [];
  for (const [roomIndex, room] of plan.rooms.entries()) {
    const onAdd: FrameHandler = (data, start, end) => {
      if (latencies) latencies[delivered] = performance.now() * 1000 - stampOf(data, start, end);
      delivered++;
      const load = loads[roomIndex]!;
      load.delivered++;
      onDelivery(load);
    };
    const onFrame = (frame: unknown[]): void => void (frame[0] === 'fetch' && fetches++);
    const joined = await joinAll(room.ports.length, (i) =>
      joinRoom(plan.transport, room.ports[i]!, room.name, { onAdd, onFrame }),
    );
    peers.push(...joined);
    loads.push({ sender: joined[0]!, size: joined.length, sent: 0, delivered: 0 });
  }
  const expectedFetches = plan.rooms.reduce((sum, room) => sum + arrivalAnnouncements(room.ports.length), 0);
  await until(() => fetches >= expectedFetches, 10_000);
  delivered = 0;

  return {
    close: () => peers.forEach((peer) => peer.socket.close()),
    run: () =>
      new Promise((resolve) => {
        const startedAt = performance.now();
        let expected = 0;
        let sending = true;
        let lastDelivered = 0;
        let lastProgressAt = startedAt;
        const send = (load: RoomLoad, count: number): void => {
          const frames: string[] = [];
          for (let i = 0; i < count; i++) frames.push(`["send","${payload(plan.payloadBytes)}"]`);
          load.sent += count;
          expected += count * load.size;
          load.sender.send(...frames);
        };
        const finish = (timedOut: boolean): void => {
          clearInterval(watchdog);
          clearInterval(pacer);
          onDelivery = () => {};
          const elapsedMs = performance.now() - startedAt;
          const measured = latencies?.slice(0, delivered);
          resolve({ deliveries: delivered, expected, elapsedMs, timedOut, latencies: measured });
        };
        const topUp = drive.kind === 'window' ? windowTopUp(drive.window, send) : undefined;
        onDelivery = (load) => {
          if (sending) topUp?.(load);
          else if (delivered === expected) finish(false);
        };
        const pacer = setInterval(() => {
          const elapsed = performance.now() - startedAt;
          if (elapsed >= drive.durationMs) {
            sending = false;
            clearInterval(pacer);
          } else if (drive.kind === 'rate') {
            const due = Math.floor((elapsed * drive.messagesPerSecond) / 1000);
            const sent = loads.reduce((sum, load) => sum + load.sent, 0);
            // Each room in turn, so the rooms' counts never differ by more than one.
            for (let n = sent; n < due; n++) send(loads[n % loads.length]!, 1);
          }
        }, 1);
        const watchdog = setInterval(() => {
          const now = performance.now();
          if (delivered !== lastDelivered) [lastDelivered, lastProgressAt] = [delivered, now];
          if (!sending && delivered >= expected) finish(false);
          else if (now - lastProgressAt > plan.stallMs) finish(true);
        }, 100);
        if (topUp) loads.forEach(topUp);
      }),
  };
}

/** Tops a room up to its window; called on each delivery in the room. */
function windowTopUp(window: number, send: (load: RoomLoad, count: number) => void) {
  return (load: RoomLoad): void => {
    const inFlight = load.sent - Math.floor(load.delivered / load.size);
    if (inFlight < window) send(load, window - inFlight);
  };
}
