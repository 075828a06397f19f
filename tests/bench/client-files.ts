// File transfer through the real relay with its default limits: a 10 MiB
// file from the moment its author sends it until each receiver holds it
// verified (hash checked), to one receiver and to five, and the CPU it costs
// the sender and each receiver. Everyone runs the client's own room logic in
// Node, each receiver in a process of its own (see scripts/bench-client.mjs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import type { SocketLike } from '../../client/src/lib/connection.ts';
import { newRoomSecret } from '../../client/src/lib/crypto.ts';
import { RoomSession } from '../../client/src/lib/room.ts';
import { startRelay } from '../support/relay.ts';
import { sleep } from '../support/wait.ts';
import { median } from './stats.ts';

const fileBytes = 10 * 1024 * 1024;
const rounds = 3;
const receiverCounts = [1, 5];

function openPeer(port: number, secret: string, name: string): Promise<RoomSession> {
  return RoomSession.open({
    secret,
    socketOrigin: `ws://127.0.0.1:${port}`,
    name,
    onChange: () => {},
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  });
}

async function connected(peer: RoomSession): Promise<void> {
  for (let i = 0; peer.state !== 'connected'; i++) {
    if (i > 500) throw new Error('a peer did not connect');
    await sleep(20);
  }
}

function verifiedFiles(peer: RoomSession): number {
  let count = 0;
  for (const entry of peer.history.entries()) {
    if (entry.kind === 'message' && entry.file && peer.files.status(entry.file.id)?.state === 'ready') count++;
  }
  return count;
}

/**
 * One receiver, in its own process: prints "connected", then for each file
 * that arrives verified, "verified <epoch ms> <CPU µs since the previous one>".
 */
export async function runFileReceiver(port: number, secret: string): Promise<void> {
  let reported = 0;
  let cpu = process.cpuUsage();
  const peer = await RoomSession.open({
    secret,
    socketOrigin: `ws://127.0.0.1:${port}`,
    name: 'Receiver',
    onChange: () => {
      if (verifiedFiles(peer) <= reported) return;
      reported++;
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      console.log(`verified ${Date.now()} ${used.user + used.system}`);
    },
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  });
  await connected(peer);
  console.log('connected');
  for await (const line of createInterface({ input: process.stdin })) if (line === 'leave') break;
  peer.leave();
}

interface Receiver {
  /** Resolves with the next verification: when, and the CPU it took. */
  next(): Promise<{ at: number; cpuMicros: number }>;
  stop(): void;
}

async function startReceiver(port: number, secret: string): Promise<Receiver> {
  const child = spawn(process.execPath, ['scripts/bench-client.mjs', 'file-receiver', String(port), secret], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (prefix: string): Promise<string[]> => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`a receiver stopped before "${prefix}"`);
      const words = String(value).split(' ');
      if (words[0] === prefix) return words.slice(1);
    }
  };
  await nextLine('connected');
  return {
    async next() {
      const [at, cpu] = await nextLine('verified');
      return { at: Number(at), cpuMicros: Number(cpu) };
    },
    stop() {
      child.stdin.write('leave\n');
      child.stdin.end();
    },
  };
}

export interface FileTransferResult {
  receivers: number;
  /** Send to the last receiver holding it verified, per round. */
  ms: number[];
  senderCpuMs: number[];
  receiverCpuMs: number[];
}

async function measure(port: number, receiverCount: number): Promise<FileTransferResult> {
  const secret = newRoomSecret();
  const sender = await openPeer(port, secret, 'Sender');
  await connected(sender);
  const receivers = await Promise.all(Array.from({ length: receiverCount }, () => startReceiver(port, secret)));
  await sleep(500); // the newcomers' history exchange is over before the clock starts
  const result: FileTransferResult = { receivers: receiverCount, ms: [], senderCpuMs: [], receiverCpuMs: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      const bytes = new Uint8Array(randomBytes(fileBytes));
      const cpu = process.cpuUsage();
      const startedAt = Date.now();
      const verified = Promise.all(receivers.map((receiver) => receiver.next()));
      const error = await sender.sendFile({ name: `round-${round}.bin`, bytes });
      if (error) throw new Error(error);
      const done = await verified;
      const used = process.cpuUsage(cpu);
      result.ms.push(Math.max(...done.map((one) => one.at)) - startedAt);
      result.senderCpuMs.push((used.user + used.system) / 1000);
      result.receiverCpuMs.push(median(done.map((one) => one.cpuMicros / 1000)));
    }
  } finally {
    for (const receiver of receivers) receiver.stop();
    sender.leave();
  }
  return result;
}

/** Rows for the benchmark's table. */
export async function fileTransferRows(): Promise<[string, string][]> {
  // The relay's default limits, as people get them.
  const relay = await startRelay();
  const rows: [string, string][] = [];
  try {
    for (const count of receiverCounts) {
      const result = await measure(relay.port, count);
      const ms = median(result.ms);
      rows.push([
        `10 MiB file, send to verified at ${count} receiver${count === 1 ? '' : 's'} (${rounds} rounds)`,
        `median ${(ms / 1000).toFixed(2)} s (${(fileBytes / 1024 / 1024 / (ms / 1000)).toFixed(2)} MiB/s), ` +
          `min ${(Math.min(...result.ms) / 1000).toFixed(2)} s, max ${(Math.max(...result.ms) / 1000).toFixed(2)} s`,
      ]);
      rows.push([
        '  CPU: sender / each receiver (medians)',
        `${Math.round(median(result.senderCpuMs))} ms / ${Math.round(median(result.receiverCpuMs))} ms`,
      ]);
    }
  } finally {
    await relay.stop();
  }
  return rows;
}
