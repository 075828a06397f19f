// One chat peer of the load generator: a raw socket in a room, through
// either transport. Deliveries (`add`) are handed over undecoded; the rare
// other frames (init, fetch, rm, error) are decoded.
import { performance } from 'node:perf_hooks';
import type { FrameHandler } from '../support/raw-websocket.ts';
import { RawSocket } from './raw-socket.ts';
import { startsWith, transports, type TransportName } from './transport.ts';

export interface PeerEvents {
  /** A delivered `add` frame; `data[start..end)` is its wire text. */
  onAdd?: FrameHandler;
  /** Any other protocol frame, decoded. */
  onFrame?: (frame: unknown[]) => void;
}

export interface Peer {
  socket: RawSocket;
  /** Sends protocol frames (JSON text) in one write. */
  send(...protocolTexts: string[]): void;
}

/** Connects to a room and resolves once `init` has arrived. */
export function joinRoom(
  transportName: TransportName,
  port: number,
  room: string,
  events: PeerEvents,
  timeoutMs = 10_000,
): Promise<Peer> {
  const transport = transports[transportName];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no init from ${room} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      socket.close();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const onText: FrameHandler = (data, start, end, opcode, fin) => {
      if (startsWith(data, start, end, transport.addPrefix)) return events.onAdd?.(data, start, end, opcode, fin);
      const text = transport.unwrap(data.toString('utf8', start, end), (reply) => socket.send(reply));
      if (text === undefined) return;
      const frame = JSON.parse(text) as unknown[];
      if (frame[0] !== 'init') return events.onFrame?.(frame);
      clearTimeout(timer);
      resolve({ socket, send: (...texts) => socket.sendAll(texts.map(transport.wrap)) });
    };
    const socket = new RawSocket({ port, path: transport.path(room), onText, timeoutMs });
    socket.upgraded.catch(fail);
  });
}

/** Joins many peers, a bounded number at a time, so the relay's accept queue never overflows. */
export async function joinAll<T>(count: number, join: (index: number) => Promise<T>, parallel = 50): Promise<T[]> {
  const joined: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      joined[index] = await join(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return joined;
}

/** Waits for `condition`, checking on every turn of the event loop; false if it did not hold within `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}

/** The fetch frames a room of `size` peers has heard once all have joined: each arrival is announced to those there. */
export function arrivalAnnouncements(size: number): number {
  return (size * (size - 1)) / 2;
}
