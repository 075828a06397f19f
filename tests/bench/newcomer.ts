// Newcomer sync: P peers hold H messages between them (each its own share);
// newcomers join one after another. Peers answer each arrival's `fetch`
// with their own messages batched within maxPayload, as the client does:
// either by unicast to the newcomer (this protocol), or, as the original
// onetimechat did, re-broadcast to the whole room.
import { performance } from 'node:perf_hooks';
import { arrivalAnnouncements, joinAll, joinRoom, until, type Peer } from './peer.ts';
import { serverFrameBytes } from './stats.ts';
import type { TransportName } from './transport.ts';

export type SyncMode = 'targeted' | 'rebroadcast';

export interface NewcomerPlan {
  kind: 'newcomer';
  transport: TransportName;
  port: number;
  room: string;
  peers: number;
  messages: number;
  messageBytes: number;
  maxPayload: number;
  mode: SyncMode;
  /** Newcomers that join, one after another, each leaving before the next. */
  newcomers: number;
  timeoutMs: number;
}

export interface NewcomerJoin {
  /** From opening the socket until it holds every message. */
  ms: number;
  held: number;
  frames: number;
  /** Bytes of the frames carrying history, WebSocket headers included. */
  bytes: number;
  /** `add` frames delivered to anyone in the room for this arrival. */
  deliveries: number;
  timedOut: boolean;
}

export interface NewcomerResult {
  historyBytes: number;
  joins: NewcomerJoin[];
}

const separator = '.';
const separatorCode = separator.charCodeAt(0);

/** A message of `bytes` characters of base64url, like a ciphertext. */
function message(index: number, bytes: number): string {
  const head = `m${index}_`;
  return head + 'A'.repeat(Math.max(0, bytes - head.length));
}

/** Joins messages into payloads of at most `maxPayload` bytes (the messages are ASCII). */
export function batch(messages: string[], maxPayload: number): string[] {
  const batches: string[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const text of messages) {
    const added = (current.length > 0 ? 1 : 0) + text.length;
    if (bytes + added > maxPayload && current.length > 0) {
      batches.push(current.join(separator));
      [current, bytes] = [[], 0];
    }
    bytes += (current.length > 0 ? 1 : 0) + text.length;
    current.push(text);
  }
  if (current.length > 0) batches.push(current.join(separator));
  return batches;
}

/** Messages in a delivered batch: its separators plus one. */
function messagesIn(data: Buffer, start: number, end: number): number {
  let count = 1;
  for (let at = data.indexOf(separatorCode, start); at >= 0 && at < end; at = data.indexOf(separatorCode, at + 1)) {
    count++;
  }
  return count;
}

export interface PreparedNewcomer {
  run(): Promise<NewcomerResult>;
  close(): void;
}

export async function prepareNewcomer(plan: NewcomerPlan): Promise<PreparedNewcomer> {
  const own = Array.from({ length: plan.peers }, (_, p) => {
    const texts: string[] = [];
    for (let i = p; i < plan.messages; i += plan.peers) texts.push(message(i, plan.messageBytes));
    return batch(texts, plan.maxPayload);
  });
  const historyBytes = plan.messages * plan.messageBytes;
  const batchCount = own.reduce((sum, batches) => sum + batches.length, 0);
  let deliveries = 0;
  // The peers announce one another while they join; only the newcomers' arrivals are answered.
  let answering = false;
  let announcements = 0;
  const peers: Peer[] = await joinAll(plan.peers, (p) =>
    joinRoom(plan.transport, plan.port, plan.room, {
      onAdd: () => void deliveries++,
      onFrame: ([command, requester]) => {
        if (command !== 'fetch') return;
        if (!answering) return void announcements++;
        const to = plan.mode === 'targeted' ? `,"${String(requester)}"` : '';
        peers[p]!.send(...own[p]!.map((text) => `["send","${text}"${to}]`));
      },
    }),
  );
  // Announcements still on their way would be taken for a newcomer's arrival.
  await until(() => announcements >= arrivalAnnouncements(plan.peers), 10_000);

  async function join(): Promise<NewcomerJoin> {
    const startedAt = performance.now();
    deliveries = 0;
    let held = 0;
    let frames = 0;
    let bytes = 0;
    const newcomer = await joinRoom(plan.transport, plan.port, plan.room, {
      onAdd: (data, start, end) => {
        deliveries++;
        frames++;
        bytes += serverFrameBytes(end - start);
        held += messagesIn(data, start, end);
      },
    });
    // Everyone heard every answer (in the original, the peers too) before the next arrival.
    const expected = plan.mode === 'targeted' ? batchCount : batchCount * (plan.peers + 1);
    const timedOut = !(await until(() => held >= plan.messages, plan.timeoutMs));
    const ms = performance.now() - startedAt;
    await until(() => deliveries >= expected, plan.timeoutMs);
    newcomer.socket.close();
    return { ms, held, frames, bytes, deliveries, timedOut };
  }

  return {
    close: () => peers.forEach((peer) => peer.socket.close()),
    run: async () => {
      answering = true;
      const joins: NewcomerJoin[] = [];
      for (let n = 0; n < plan.newcomers; n++) joins.push(await join());
      return { historyBytes, joins };
    },
  };
}
