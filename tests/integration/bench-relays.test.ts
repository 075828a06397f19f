// The benchmark's comparison relays (tests/bench/relays) speak protocol v1 as
// the onetimechat relay does, so the benchmark compares the same work: each
// runs as its own process and is checked against the basics of the protocol.
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/client.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';

type Frame = unknown[];

/** What the tests need of a client, whatever carries its frames. */
interface Peer {
  id: string;
  peers: string[];
  info: Record<string, unknown>;
  next(command?: string): Promise<Frame>;
  send(frame: Frame): void;
  close(): Promise<unknown>;
}

async function joinWebSocket(relay: RunningRelay, room: string): Promise<Peer> {
  const { client, id, peers, info } = await TestClient.join(relay.wsUrl(room));
  return {
    id,
    peers,
    info,
    next: (command) => client.next(command),
    send: (frame) => client.send(frame),
    close: () => client.close(),
  };
}

/** A socket.io client queuing the frames of its 'message' events, as TestClient does for WebSocket. */
async function joinSocketIo(relay: RunningRelay, room: string): Promise<Peer> {
  const socket: Socket = io(relay.httpUrl, { transports: ['websocket'], query: { room }, reconnection: false });
  const frames: Frame[] = [];
  let wake = (): void => {};
  socket.on('message', (text: string) => {
    frames.push(JSON.parse(text) as Frame);
    wake();
  });
  const next = async (command?: string): Promise<Frame> => {
    const deadline = Date.now() + 3000;
    while (frames.length === 0) {
      if (Date.now() > deadline) throw new Error(`no frame within 3 s${command ? ` (expected ${command})` : ''}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const frame = frames.shift() as Frame;
    if (command !== undefined && frame[0] !== command) {
      throw new Error(`expected ${command}, got ${JSON.stringify(frame)}`);
    }
    return frame;
  };
  const [, id, peers, info] = (await next('init')) as [string, string, string[], Record<string, unknown>];
  const close = async (): Promise<void> => void socket.close();
  return { id, peers, info, next, send: (frame) => socket.send(JSON.stringify(frame)), close };
}

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each([
  { entry: 'tests/bench/relays/ws.mjs', join: joinWebSocket, validates: true },
  { entry: 'tests/bench/relays/socketio.mjs', join: joinSocketIo, validates: true },
  { entry: 'tests/bench/relays/uws-ceiling.mjs', join: joinWebSocket, validates: false },
])('$entry', ({ entry, join, validates }) => {
  let relay: RunningRelay;
  beforeAll(async () => {
    relay = await startRelay({ MAX_PAYLOAD: '1024' }, entry);
  });
  afterAll(() => relay.stop());

  let roomCounter = 0;
  /** Two peers in a fresh room; a has seen b arrive. */
  async function pair(): Promise<[Peer, Peer, string]> {
    const room = `bench-relays-${++roomCounter}`;
    const a = await join(relay, room);
    const b = await join(relay, room);
    expect(await a.next()).toEqual(['fetch', b.id]);
    return [a, b, room];
  }

  it('sends init first, announces a newcomer with fetch, and rm when it leaves', async () => {
    const [a, b, room] = await pair();
    expect(a.id).toMatch(uuidV4);
    expect(a.peers).toEqual([]);
    expect(a.info).toEqual({ v: 1, limits: { maxPayload: 1024, rate: 0, burst: 0 } });
    expect(b.peers).toEqual([a.id]);
    const c = await join(relay, room);
    expect(c.peers.sort()).toEqual([a.id, b.id].sort());
    expect(await a.next()).toEqual(['fetch', c.id]);
    expect(await b.next()).toEqual(['fetch', c.id]);
    await c.close();
    expect(await a.next()).toEqual(['rm', c.id]);
    expect(await b.next()).toEqual(['rm', c.id]);
    await Promise.all([a.close(), b.close()]);
  });

  it('stamps a send and echoes it to everyone, the sender included; unicasts reach their target only', async () => {
    const [a, b] = await pair();
    const before = Date.now();
    // Broadcasts that could pass for a unicast, to a relay that does not parse
    // JSON (the ceiling): a payload as long as a peer id, and one ending in one.
    for (const payload of ['x'.repeat(36), `é 😀 ","${randomUUID()}`]) {
      a.send(['send', payload]);
      for (const peer of [a, b]) {
        const [command, from, received, ts] = await peer.next();
        expect([command, from, received]).toEqual(['add', a.id, payload]);
        expect(ts).toBeGreaterThanOrEqual(before);
      }
    }
    a.send(['send', 'psst', b.id]);
    b.send(['send', '', a.id]);
    expect(await b.next()).toEqual(['add', a.id, 'psst', expect.any(Number)]);
    expect(await a.next()).toEqual(['add', b.id, '', expect.any(Number)]);
    a.send(['send', 'to nobody', randomUUID()]);
    expect((await a.next()).slice(0, 2)).toEqual(['error', 'no_such_peer']);
    await Promise.all([a.close(), b.close()]);
  });

  it('passes fetch, with or without a summary, to every other peer', async () => {
    const [a, b] = await pair();
    b.send(['fetch', 'summary "quoted"']);
    b.send(['fetch']);
    expect(await a.next()).toEqual(['fetch', b.id, 'summary "quoted"']);
    expect(await a.next()).toEqual(['fetch', b.id]);
    b.send(['send', 'after the fetches']);
    expect((await b.next())[0]).toBe('add'); // b heard nothing of its own fetches
    await Promise.all([a.close(), b.close()]);
  });

  // The ceiling validates nothing by design, so only the others are held to this.
  if (validates) {
    it('refuses malformed frames with the protocol decoder, forwarding nothing', async () => {
      const [a, b] = await pair();
      a.send(['add', b.id, 'spoofed', 0]);
      expect((await a.next()).slice(0, 2)).toEqual(['error', 'unknown_command']);
      a.send(['send', 'x'.repeat(1025)]);
      expect((await a.next()).slice(0, 2)).toEqual(['error', 'too_large']);
      a.send(['send', 'only this one']);
      expect((await b.next())[2]).toBe('only this one');
      await Promise.all([a.close(), b.close()]);
    });
  }
});
