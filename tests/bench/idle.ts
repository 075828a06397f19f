// Benchmark scenario 5, idle capacity: how much relay memory an idle
// connection costs. Opens N connections to a running relay, each one joined
// (init received) and then silent, and reads the relay's resident memory
// before and after.
//
// The WebSocket connections are raw TCP sockets that send the upgrade request,
// wait for 101 and init, and then only answer pings, so the generator stays
// cheap; socket.io needs its own client. They come from several 127.0.0.x
// source addresses, since one address has only about 28,000 ephemeral ports,
// and bind ports of their own choosing, because the kernel's search for a free
// port to bind grows with the ports in use (10 s of system time for 10,000
// connections from one address).
//
// Standalone, after `npm run build` (relay: onetimechat, ws, socketio or uws-ceiling):
//   node --input-type=module -e "const { runnerImport } = await import('vite');
//     const { module } = await runnerImport('./tests/bench/idle.ts', { configFile: false, logLevel: 'error' });
//     await module.main(process.argv.slice(1))" onetimechat 50000
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { io } from 'socket.io-client';
import { encodeFrame, FrameReader, Opcode, upgradeAnswer, upgradeRequest } from '../support/raw-websocket.ts';
import { rssKiB } from '../support/proc.ts';
import { startRelay } from '../support/relay.ts';
import { sleep, withTimeout } from '../support/wait.ts';

export interface IdleOptions {
  port: number;
  /** The relay's process, whose memory is read and whose open-file limit is raised if needed. */
  pid: number;
  connections: number;
  transport: 'websocket' | 'socketio';
}

export interface IdleResult {
  /** Connections held open when the memory was read. */
  connections: number;
  rssKiBBefore: number;
  rssKiBAfter: number;
  bytesPerConnection: number;
}

const peersPerRoom = 100;
const connectionsPerSourceAddress = 10_000;
/** Below the ephemeral range (32768 and up here), so never one the kernel gave another socket. */
const firstSourcePort = 20_000;
const maxConnections = 200_000;
const handshakesInFlight = 200;
const handshakeTimeoutMs = 10_000;
/** Opening them all may take a minute plus this long each (here about 1.5 ms for WebSocket, 8 for socket.io). */
const openingMsPerConnection = 20;
const closeTimeoutMs = 10_000;
/** Descriptors a process needs besides the connections. */
const spareFiles = 256;

/** One idle connection: close() ends it cleanly, or cuts it once the timeout is over. */
interface Held {
  open: boolean;
  close(): Promise<void>;
}

export async function idleCapacity(options: IdleOptions): Promise<IdleResult> {
  const { port, pid, connections, transport } = options;
  if (!Number.isInteger(connections) || connections < 1 || connections > maxConnections) {
    throw new Error(`connections must be an integer from 1 to ${maxConnections}`);
  }
  ensureFileLimit(process.pid, connections + spareFiles);
  ensureFileLimit(pid, connections + spareFiles);
  const rssKiBBefore = await settledRssKiB(pid);
  const hold = transport === 'websocket' ? holdWebSocket : holdSocketIo;
  const held = await openAll(connections, (index) =>
    hold(port, `idle-${Math.floor(index / peersPerRoom)}`, source(index, connections)),
  );
  try {
    const rssKiBAfter = await settledRssKiB(pid);
    const stillOpen = held.filter((connection) => connection.open).length;
    if (stillOpen < connections) throw new Error(`the relay dropped ${connections - stillOpen} idle connections`);
    const bytesPerConnection = Math.round(((rssKiBAfter - rssKiBBefore) * 1024) / connections);
    return { connections, rssKiBBefore, rssKiBAfter, bytesPerConnection };
  } finally {
    await closeAll(held);
  }
}

/** Settings the onetimechat relay needs to accept `connections` from this generator. */
export function idleRelayEnv(connections: number): Record<string, string> {
  return { MAX_CONNECTIONS: String(connections), MAX_CONNECTIONS_PER_ADDRESS: String(connections) };
}

interface Source {
  address: string;
  port: number;
}

/** Round robin over 127.0.0.2 and up, as many as the count needs; each address's ports in turn. */
function source(index: number, connections: number): Source {
  const addresses = Math.ceil(connections / connectionsPerSourceAddress);
  return { address: `127.0.0.${2 + (index % addresses)}`, port: firstSourcePort + Math.floor(index / addresses) };
}

function connectFrom(from: Source, port: number): Socket {
  return connect({ host: '127.0.0.1', port, localAddress: from.address, localPort: from.port });
}

/**
 * Opens `count` connections, `handshakesInFlight` at a time. On the first
 * failure, or when it takes too long, it stops opening, closes what it opened
 * and throws.
 */
async function openAll(count: number, open: (index: number) => Promise<Held>): Promise<Held[]> {
  const held: Held[] = [];
  const deadline = Date.now() + 60_000 + count * openingMsPerConnection;
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      if (Date.now() > deadline) {
        failure = new Error('opening took too long');
        return;
      }
      const index = next++;
      try {
        held.push(await open(index));
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(handshakesInFlight, count) }, worker));
  if (failure === undefined) return held;
  await closeAll(held);
  const reason = failure instanceof Error ? failure.message : String(failure);
  throw new Error(`opened ${held.length} of ${count} idle connections, then: ${reason}`, { cause: failure });
}

async function closeAll(held: Held[]): Promise<void> {
  await Promise.all(held.map((connection) => connection.close()));
}

const normalClosure = Buffer.from([0x03, 0xe8]); // 1000

/** Resolves once the relay answered 101 and sent init; from then on the socket only answers pings. */
function holdWebSocket(port: number, room: string, from: Source): Promise<Held> {
  const socket = connectFrom(from, port);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const held: Held = {
    open: true,
    close: async () => {
      // The relay answers and closes first, so the TIME_WAIT is on its side, not on our port.
      if (held.open) socket.write(encodeFrame({ opcode: Opcode.close, payload: normalClosure }));
      await withTimeout(closed, closeTimeoutMs, 'closing').catch(() => socket.destroy());
    },
  };
  void closed.then(() => (held.open = false));
  const joined = new Promise<Held>((resolve, reject) => {
    const reader = new FrameReader((data, start, end, opcode) => {
      if (opcode === Opcode.ping)
        socket.write(encodeFrame({ opcode: Opcode.pong, payload: data.subarray(start, end) }));
      else if (opcode === Opcode.text && data.toString('latin1', start, start + 7) === '["init"') resolve(held);
    });
    socket.on('connect', () => socket.write(upgradeRequest(port, `/ws/${room}`)));
    socket.on('error', reject);
    upgradeAnswer(socket, handshakeTimeoutMs).then((firstFrames) => {
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      reader.push(firstFrames);
    }, reject);
    void closed.then(() => reject(new Error('connection closed before init')));
  });
  return withTimeout(joined, handshakeTimeoutMs, 'joining').catch(async (error: unknown) => {
    socket.destroy();
    throw error;
  });
}

/** Resolves once init arrived; the frames after it are left unheard. */
function holdSocketIo(port: number, room: string, from: Source): Promise<Held> {
  // The client's WebSocket opens its connection through this agent, from our source.
  const agent = new Agent();
  agent.createConnection = () => connectFrom(from, port);
  const socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    transportOptions: { websocket: { agent } },
    query: { room },
    forceNew: true,
    reconnection: false,
  });
  const held: Held = {
    open: true,
    close: async () => void socket.close(),
  };
  socket.on('disconnect', () => (held.open = false));
  const joined = new Promise<Held>((resolve, reject) => {
    socket.once('message', () => resolve(held));
    socket.once('connect_error', reject);
    socket.once('disconnect', (reason) => reject(new Error(`disconnected before init: ${reason}`)));
  });
  return withTimeout(joined, handshakeTimeoutMs, 'joining').catch(async (error: unknown) => {
    socket.close();
    throw error;
  });
}

// The relay process.

/** Resident memory once it stops moving: within 0.5% over a second, or after 20 seconds. */
async function settledRssKiB(pid: number): Promise<number> {
  let previous = rssKiB(pid);
  for (let second = 0; second < 20; second++) {
    await sleep(1000);
    const current = rssKiB(pid);
    if (Math.abs(current - previous) <= previous * 0.005) return current;
    previous = current;
  }
  return previous;
}

/** The soft and hard open-file limits of a process, from /proc/<pid>/limits. */
function fileLimits(pid: number): { soft: number; hard: number } {
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(
    readFileSync(`/proc/${pid}/limits`, 'utf8'),
  );
  const value = (text: string | undefined): number => (text === 'unlimited' ? Infinity : Number(text));
  return { soft: value(match?.[1]), hard: value(match?.[2]) };
}

/**
 * Raises the open-file limit of a running process to at least `minimum`, with
 * prlimit. Raising the soft limit up to the hard one needs nothing; raising the
 * hard limit needs root (CAP_SYS_RESOURCE).
 */
export function ensureFileLimit(pid: number, minimum: number): void {
  const { soft, hard } = fileLimits(pid);
  if (soft >= minimum) return;
  const newHard = Math.max(hard, minimum);
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${minimum}:${newHard}`], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `process ${pid} may open ${soft} files and needs ${minimum}, over its hard limit of ${hard}: raising ` +
        `that needs CAP_SYS_RESOURCE (root, unless a container drops it), so run with fewer connections ` +
        `or from a shell with \`ulimit -Hn ${minimum}\``,
      { cause: error },
    );
  }
}

// Standalone measurement (see the top of this file).

const relayEntries = {
  onetimechat: { entry: 'dist/server/relay/main.js', transport: 'websocket' },
  ws: { entry: 'tests/bench/relays/ws.mjs', transport: 'websocket' },
  socketio: { entry: 'tests/bench/relays/socketio.mjs', transport: 'socketio' },
  'uws-ceiling': { entry: 'tests/bench/relays/uws-ceiling.mjs', transport: 'websocket' },
} as const;

export async function main([relayName = 'onetimechat', count = '10000']: string[]): Promise<void> {
  if (!Object.hasOwn(relayEntries, relayName)) {
    throw new Error(`relay must be one of ${Object.keys(relayEntries).join(', ')}`);
  }
  const { entry, transport } = relayEntries[relayName as keyof typeof relayEntries];
  const connections = Number(count);
  const relay = await startRelay(idleRelayEnv(connections), entry);
  try {
    const pid = relay.process.pid;
    if (pid === undefined) throw new Error('the relay has no process id');
    const result = await idleCapacity({ port: relay.port, pid, connections, transport });
    console.log(JSON.stringify({ relay: relayName, ...result }));
  } finally {
    await relay.stop();
  }
}
