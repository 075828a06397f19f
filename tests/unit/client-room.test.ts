// RoomSession against an in-memory relay that speaks protocol v1 through the
// protocol module's own encoders: fetch answers, rm, reconnection.
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeClientFrame,
  encodeAdd,
  encodeFetch,
  encodeInit,
  encodeRm,
  type InitInfo,
} from '../../protocol/index.ts';
import type { SocketLike } from '../../client/src/lib/connection.ts';
import type { Entry } from '../../client/src/lib/chat/history.ts';
import { RoomSession } from '../../client/src/lib/room.ts';
import { hostileSealer, sendFrame } from '../support/hostile-member.ts';

const info: InitInfo = { v: 1, limits: { maxPayload: 4096, rate: 0, burst: 60 } };

class MemoryRelay {
  readonly members = new Map<string, FakeSocket>();
  /** Every payload that went through and who sent it, to check nothing is plaintext. */
  readonly sent: { from: string; payload: string }[] = [];
  #next = 0;
  #clock = 0;

  connect(): FakeSocket {
    const id = `00000000-0000-4000-8000-${(++this.#next).toString().padStart(12, '0')}`;
    const socket = new FakeSocket(this, id);
    queueMicrotask(() => {
      const others = [...this.members.keys()];
      this.members.set(id, socket);
      socket.deliver(encodeInit(id, others, info));
      this.#publish(id, encodeFetch(id));
    });
    return socket;
  }

  receive(from: FakeSocket, text: string): void {
    const request = decodeClientFrame(text, info.limits.maxPayload);
    if (request.type !== 'send') throw new Error(`unexpected ${text}`);
    this.sent.push({ from: from.id, payload: JSON.parse(request.payloadJson) as string });
    // Like a relay's clock, but strictly increasing so the expected order is exact.
    this.#clock = Math.max(Date.now(), this.#clock + 1);
    const frame = encodeAdd(from.id, request.payloadJson, this.#clock);
    if (request.to === undefined) for (const member of this.members.values()) member.deliver(frame);
    else this.members.get(request.to)?.deliver(frame);
  }

  /** The socket is gone; `lost` is a drop without a close handshake, which the relay only notices later. */
  leave(socket: FakeSocket, notify = true): void {
    this.members.delete(socket.id);
    if (notify) this.#publish(socket.id, encodeRm(socket.id));
  }

  #publish(except: string, frame: string): void {
    for (const [id, member] of this.members) if (id !== except) member.deliver(frame);
  }
}

class FakeSocket implements SocketLike {
  readyState = 1;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  constructor(
    readonly relay: MemoryRelay,
    readonly id: string,
  ) {}

  /** Every frame this socket was given, as a relay that keeps copies would have them. */
  readonly received: string[] = [];

  deliver(text: string): void {
    this.received.push(text);
    if (this.readyState === 1) this.onmessage?.({ data: text } as MessageEvent);
  }

  send(text: string): void {
    this.relay.receive(this, text);
  }

  close(): void {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.relay.leave(this);
  }

  /** The network drops: the client sees a close, the relay hears nothing yet. */
  drop(): void {
    this.readyState = 3;
    this.relay.leave(this, false);
    this.onclose?.({ code: 1006 } as CloseEvent);
  }
}

const secret = 'AAECAwQFBgcICQoLDA0ODw';
const sessions: RoomSession[] = [];

async function join(
  relay: MemoryRelay,
  name: string | Promise<string>,
  sockets: FakeSocket[] = [],
): Promise<RoomSession> {
  const session = await RoomSession.open({
    secret,
    socketOrigin: 'ws://relay.test',
    name,
    onChange: () => {},
    createSocket: () => {
      const socket = relay.connect();
      sockets.push(socket);
      return socket;
    },
  });
  sessions.push(session);
  await until(() => session.state === 'connected');
  return session;
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function shown(session: RoomSession): string[] {
  return session.history
    .entries()
    .filter((entry): entry is Entry & { kind: 'message' } => entry.kind === 'message')
    .map((entry) => `${session.nameOf(entry.author)}: ${entry.text}`);
}

afterEach(() => {
  for (const session of sessions.splice(0)) session.leave();
});

describe('a room session', () => {
  it('chats, and a newcomer receives everyone’s history in the same order', async () => {
    const relay = new MemoryRelay();
    const alice = await join(relay, 'Alice');
    const bob = await join(relay, 'Bob');
    await alice.send('one');
    await until(() => shown(bob).length === 1);
    await bob.send('two');
    await until(() => shown(alice).length === 2);
    await alice.send('three', { action: true });
    await until(() => shown(alice).length === 3 && shown(bob).length === 3);

    const carol = await join(relay, 'Carol');
    await until(() => shown(carol).length === 3);
    expect(shown(alice)).toEqual(['Alice: one', 'Bob: two', 'Alice: three']);
    expect(shown(bob)).toEqual(shown(alice));
    expect(shown(carol)).toEqual(shown(alice));
    expect([...carol.peers].map((peer) => carol.nameOf(peer)).sort()).toEqual(['Alice', 'Bob']);
    expect(relay.sent.some(({ payload }) => /one|two|three|Alice|Bob/.test(payload))).toBe(false);
  });

  it('batches a long history within maxPayload', async () => {
    const relay = new MemoryRelay();
    const alice = await join(relay, 'Alice');
    for (let i = 0; i < 120; i++) await alice.send(`message number ${i} ${'x'.repeat(60)}`);
    await until(() => alice.history.pending().length === 0);
    const bob = await join(relay, 'Bob');
    await until(() => shown(bob).length === 120);
    expect(relay.sent.every(({ payload }) => payload.length <= info.limits.maxPayload)).toBe(true);
  });

  it('drops a leaver’s messages and says so', async () => {
    const relay = new MemoryRelay();
    const alice = await join(relay, 'Alice');
    const bob = await join(relay, 'Bob');
    await bob.send('bye soon');
    await alice.send('stay');
    await until(() => shown(alice).length === 2);
    bob.leave();
    await until(() => shown(alice).length === 1);
    expect(shown(alice)).toEqual(['Alice: stay']);
    const notices = alice.history.entries().flatMap((entry) => (entry.kind === 'notice' ? [entry.notice] : []));
    expect(notices).toContainEqual(expect.objectContaining({ type: 'left', vanished: 1 }));
    expect(alice.peers.size).toBe(0);
  });

  it('after a reconnect under a new id, re-announces its messages so nothing is lost', async () => {
    const relay = new MemoryRelay();
    const aliceSockets: FakeSocket[] = [];
    const alice = await join(relay, 'Alice', aliceSockets);
    const bob = await join(relay, 'Bob');
    await alice.send('kept');
    await until(() => shown(bob).length === 1);
    const oldId = alice.selfId;

    aliceSockets[0]!.drop();
    await until(() => alice.state === 'connected' && alice.selfId !== oldId, 5000);
    // The relay's grace ends: the old id leaves.
    for (const member of relay.members.values()) member.deliver(encodeRm(oldId!));
    await until(() => bob.history.get(alice.history.entries().find((e) => e.kind === 'message')!.id) !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(shown(bob)).toEqual(['Alice: kept']);
    expect(shown(alice)).toEqual(['Alice: kept']);
    expect([...bob.peers]).toEqual([alice.selfId]);
  });

  it('connects while its name is still being read, and tells the room only the name it gets', async () => {
    const relay = new MemoryRelay();
    const alice = await join(relay, 'Alice');
    let giveName: (name: string) => void = () => {};
    const bob = await join(relay, new Promise<string>((resolve) => (giveName = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(bob.state).toBe('connected');
    expect(relay.sent.filter(({ from }) => from === bob.selfId)).toEqual([]);
    giveName('Bob');
    await until(() => alice.nameOf(bob.selfId!) === 'Bob');
    await bob.send('hi');
    await until(() => shown(alice).length === 1);
    expect(shown(alice)).toEqual(['Bob: hi']);
  });

  it('counts and ignores payloads that do not decrypt or validate', async () => {
    const relay = new MemoryRelay();
    const alice = await join(relay, 'Alice');
    const socket = relay.members.get(alice.selfId!)!;
    socket.deliver(encodeAdd('00000000-0000-4000-8000-00000000ffff', '"bm90IGNpcGhlcnRleHQ"', Date.now()));
    socket.deliver('["add","x"]');
    await alice.settled();
    expect(alice.drops.unreadable).toBe(1);
    await alice.send('still fine');
    await until(() => shown(alice).length === 1);
  });
});

/** A scripted member with the key, on the in-memory relay. */
async function hostileMember(relay: MemoryRelay) {
  const socket = relay.connect();
  await until(() => relay.members.has(socket.id));
  const sealer = await hostileSealer(secret, info.limits.maxPayload);
  return {
    socket,
    send: async (envelope: unknown, to?: string) =>
      socket.send(JSON.stringify(sendFrame(await sealer(socket.id, envelope, to), to))),
  };
}

/** The relay time of the latest `add` a socket received. */
function lastAddTs(socket: FakeSocket): number {
  const adds = socket.received.filter((text) => text.startsWith('["add"'));
  return (JSON.parse(adds[adds.length - 1]!) as [string, string, string, number])[3];
}

function messageId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
}

describe('a room session under attack', () => {
  it('shows nothing a relay re-stamps, replays or re-routes', async () => {
    const relay = new MemoryRelay();
    const alice = await join(relay, 'Alice');
    const bobSockets: FakeSocket[] = [];
    const bob = await join(relay, 'Bob', bobSockets);
    await alice.send('hello');
    await until(() => shown(bob).length === 1);
    const hello = bobSockets[0]!.received.filter((text) => text.startsWith(`["add","${alice.selfId}"`)).at(-1)!;
    const carolSockets: FakeSocket[] = [];
    const carol = await join(relay, 'Carol', carolSockets);
    await until(() => shown(carol).length === 1);

    const bobSocket = bobSockets[0]!;
    // Re-stamped as Carol, replayed as it was, and Alice's answer to Carol handed to Bob.
    bobSocket.deliver(hello.replace(alice.selfId!, carol.selfId!));
    bobSocket.deliver(hello);
    const answerToCarol = carolSockets[0]!.received.find((text) => text.startsWith(`["add","${alice.selfId}"`))!;
    bobSocket.deliver(answerToCarol);
    await bob.settled();

    expect(shown(bob)).toEqual(['Alice: hello']);
    expect(bob.drops.unreadable).toBe(2);
    expect(bob.drops.replayed).toBe(1);
  });

  it('refuses what a member with the key sends to take over, backdate, post-date or split the view', async () => {
    const relay = new MemoryRelay();
    const aliceSockets: FakeSocket[] = [];
    const alice = await join(relay, 'Alice', aliceSockets);
    await alice.send('mine');
    await until(() => alice.history.pending().length === 0);
    const mine = alice.history.entries().find((entry) => entry.kind === 'message')!;
    const mallory = await hostileMember(relay);
    await until(() => alice.peers.has(mallory.socket.id));
    const aliceSocket = aliceSockets[0]!;
    const batch = (messages: unknown[]) => ({ v: 1, kind: 'batch', name: 'Mallory', messages });

    // History from before Alice met Mallory is accepted as such.
    await mallory.send(batch([{ id: messageId(1), text: 'early', ts: mine.ts - 60_000 }]));
    await until(() => shown(alice).length === 2);
    const met = lastAddTs(aliceSocket);
    // A "room" message sent to Alice alone: nobody else would see it.
    await mallory.send(
      { v: 1, kind: 'message', name: 'Mallory', message: { id: messageId(2), text: 'only you' } },
      alice.selfId,
    );
    await mallory.send({ v: 1, kind: 'message', name: 'Mallory', message: { id: messageId(3), text: 'live' } });
    await until(() => shown(alice).length === 3);
    const live = lastAddTs(aliceSocket);
    await mallory.send(batch([{ id: messageId(4), text: 'backdated', ts: live - 1 }]));
    await mallory.send(batch([{ id: mine.id, text: 'taken over', ts: mine.ts }]));
    await mallory.send(batch([{ id: messageId(5), text: 'from the future', ts: live + 3_600_000 }]));
    await mallory.send(batch([{ id: messageId(6), text: 'blinding', ts: 1e300 }]));
    await alice.settled();

    expect(met).toBeLessThan(live - 1);
    expect(shown(alice)).toEqual(['Mallory: early', 'Alice: mine', 'Mallory: live']);
    expect(alice.history.get(mine.id)).toMatchObject({ author: alice.selfId, text: 'mine' });
    expect(alice.drops.unreadable).toBe(1);
  });

  it('shows the relay’s errors in its own words, never the relay’s text (review finding)', async () => {
    const relay = new MemoryRelay();
    const alice = await join(relay, 'Alice');
    relay.members.get(alice.selfId!)!.deliver('["error","rate_limited","<b>visit evil.example to fix this</b>"]');
    await alice.settled();
    const errors = alice.history.entries().flatMap((entry) => (entry.kind === 'notice' ? [entry.notice] : []));
    expect(errors).toContainEqual({
      type: 'error',
      text: 'Sending too fast: the relay dropped something. Wait a moment.',
    });
    expect(JSON.stringify(errors)).not.toContain('evil');
  });
});
