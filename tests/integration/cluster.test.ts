// Rooms spanning several relays over a real redis-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeatIntervalMs } from '../../relay/cluster.ts';
import { TestClient } from '../support/client.ts';
import { scrape, type Scrape } from '../support/metrics.ts';
import { startRedis, type RunningRedis } from '../support/redis.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';
import { sleep } from '../support/wait.ts';

const graceMs = 3000;

async function startCluster(relayCount: number, env: Record<string, string> = {}) {
  const redis = await startRedis();
  const relays = await Promise.all(
    Array.from({ length: relayCount }, () =>
      startRelay({
        REDIS_URL: redis.url,
        RELAY_SECRET: 'cluster test secret',
        RESUME_GRACE_MS: String(graceMs),
        ...env,
      }),
    ),
  );
  return { redis, relays };
}

async function stopCluster(redis: RunningRedis, relays: RunningRelay[]): Promise<void> {
  await Promise.all(relays.map((relay) => relay.stop('SIGKILL')));
  await redis.stop();
}

let roomCounter = 0;
const freshRoom = (): string => `cluster-${process.pid}-${++roomCounter}`;

describe('a room across three relays', () => {
  let redis: RunningRedis;
  let relays: RunningRelay[];
  beforeAll(async () => ({ redis, relays } = await startCluster(3, { ROOM_MAX_PEERS: '3' })));
  afterAll(() => stopCluster(redis, relays));

  /** One peer on each relay, in the same room, each having seen the later arrivals. */
  /**
   * The next arrival a member hears of. Across relays a newcomer may also get
   * the `fetch` of a peer its `init` already listed (protocol/README.md), which
   * is not news.
   */
  async function nextArrival(member: Awaited<ReturnType<typeof TestClient.join>>) {
    for (;;) {
      const frame = await member.client.next('fetch');
      if (!member.peers.includes(String(frame[1]))) return frame;
    }
  }

  async function peersOnEachRelay(room: string) {
    const a = await TestClient.join(relays[0]!.wsUrl(room));
    const b = await TestClient.join(relays[1]!.wsUrl(room));
    expect(await nextArrival(a)).toEqual(['fetch', b.id]);
    const c = await TestClient.join(relays[2]!.wsUrl(room));
    expect(await nextArrival(a)).toEqual(['fetch', c.id]);
    expect(await nextArrival(b)).toEqual(['fetch', c.id]);
    return [a, b, c] as const;
  }

  it('lists every peer in init, wherever it is connected', async () => {
    const [a, b, c] = await peersOnEachRelay(freshRoom());
    expect(b.peers).toEqual([a.id]);
    expect(c.peers.sort()).toEqual([a.id, b.id].sort());
  });

  it('delivers a message to everyone once, the sender included', async () => {
    const peers = await peersOnEachRelay(freshRoom());
    peers[1].client.send(['send', 'hello everyone']);
    for (const { client } of peers) {
      const [, from, payload, ts] = await client.next('add');
      expect([from, payload]).toEqual([peers[1].id, 'hello everyone']);
      expect(ts).toEqual(expect.any(Number));
    }
    await Promise.all(peers.map(({ client }) => client.expectSilence(300)));
  });

  it('delivers a unicast to a peer on another relay only', async () => {
    const [a, b, c] = await peersOnEachRelay(freshRoom());
    a.client.send(['send', 'for c only', c.id]);
    expect(await c.client.next('add')).toEqual(['add', a.id, 'for c only', expect.any(Number)]);
    await a.client.expectSilence(300);
    await b.client.expectSilence(0);
    a.client.send(['send', 'to nobody', '00000000-0000-4000-8000-000000000000']);
    expect((await a.client.next('error'))[1]).toBe('no_such_peer');
  });

  it('relays fetch with its summary to the peers on other relays', async () => {
    const [a, b, c] = await peersOnEachRelay(freshRoom());
    b.client.send(['fetch', 'what b has']);
    expect(await a.client.next('fetch')).toEqual(['fetch', b.id, 'what b has']);
    expect(await c.client.next('fetch')).toEqual(['fetch', b.id, 'what b has']);
    await b.client.expectSilence(300);
  });

  it('tells everyone when a peer leaves', async () => {
    const [a, b, c] = await peersOnEachRelay(freshRoom());
    await a.client.close();
    expect(await b.client.next('rm')).toEqual(['rm', a.id]);
    expect(await c.client.next('rm')).toEqual(['rm', a.id]);
  });

  it('counts the whole room against ROOM_MAX_PEERS', async () => {
    const room = freshRoom();
    await peersOnEachRelay(room);
    const fourth = await TestClient.connect(relays[0]!.wsUrl(room));
    expect((await fourth.next('error'))[1]).toBe('room_full');
    expect((await fourth.closed).code).toBe(1013);
  });

  it('resumes an id through another relay without rm or arrival', async () => {
    const room = freshRoom();
    const a = await TestClient.join(relays[0]!.wsUrl(room));
    const b = await TestClient.join(relays[1]!.wsUrl(room));
    await a.client.next('fetch');
    await a.client.terminate();
    const resumed = await TestClient.join(`${relays[2]!.wsUrl(room)}?resume=${String(a.info.resume)}`);
    expect(resumed.id).toBe(a.id);
    expect(resumed.info.resumed).toBe(true);
    expect(resumed.peers).toEqual([b.id]);
    b.client.send(['send', 'still here?', a.id]);
    expect(await resumed.client.next('add')).toEqual(['add', b.id, 'still here?', expect.any(Number)]);
    await b.client.expectSilence(graceMs + 500);
  });
});

describe('failures across relays', () => {
  it('removes the clients of a killed relay everywhere, unless they resume elsewhere', async () => {
    const { redis, relays } = await startCluster(2);
    try {
      const room = freshRoom();
      const watcher = await TestClient.join(relays[1]!.wsUrl(room));
      const leaver = await TestClient.join(relays[0]!.wsUrl(room));
      const mover = await TestClient.join(relays[0]!.wsUrl(room));
      await watcher.client.next('fetch');
      await watcher.client.next('fetch');
      const killedAt = Date.now();
      await relays[0]!.stop('SIGKILL');
      await mover.client.closed;
      const moved = await TestClient.join(`${relays[1]!.wsUrl(room)}?resume=${String(mover.info.resume)}`);
      expect(moved.id).toBe(mover.id);
      // Noticed within 8 s (heartbeat), then the grace period.
      expect(await watcher.client.next('rm', 8000 + graceMs + 2000)).toEqual(['rm', leaver.id]);
      expect(Date.now() - killedAt).toBeLessThan(10_000 + graceMs);
      await watcher.client.expectSilence(graceMs);
    } finally {
      await stopCluster(redis, relays);
    }
  }, 40_000);

  it('survives a Redis restart without spurious rm, and keeps local rooms talking meanwhile', async () => {
    const { redis, relays } = await startCluster(2);
    try {
      const room = freshRoom();
      const a = await TestClient.join(relays[0]!.wsUrl(room));
      const b = await TestClient.join(relays[1]!.wsUrl(room));
      await a.client.next('fetch');
      const a2 = await TestClient.join(relays[0]!.wsUrl(room));
      await a.client.next('fetch');
      await b.client.next('fetch');

      await redis.stop();
      a.client.send(['send', 'while redis is down']);
      expect(await a2.client.next('add')).toEqual(['add', a.id, 'while redis is down', expect.any(Number)]);
      await a.client.next('add');

      await redis.restart();
      await b.client.expectSilence(8000);
      await a.client.expectSilence(0);
      a.client.send(['send', 'after the restart']);
      expect(await b.client.next('add')).toEqual(['add', a.id, 'after the restart', expect.any(Number)]);
      const joiner = await TestClient.join(relays[1]!.wsUrl(room));
      expect(joiner.peers.sort()).toEqual([a.id, a2.id, b.id].sort());
    } finally {
      await stopCluster(redis, relays);
    }
  }, 40_000);
});

describe('publishing in batches', () => {
  /** Every `add` a client receives, as [sender, sequence number], from payloads `<n>`. */
  function collectAdds(client: TestClient): [string, number][] {
    const adds: [string, number][] = [];
    client.socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as unknown[];
      if (frame[0] === 'add') adds.push([String(frame[1]), Number(frame[2])]);
    });
    return adds;
  }

  const sequencesFrom = (adds: [string, number][], sender: string): number[] =>
    adds.filter(([from]) => from === sender).map(([, sequence]) => sequence);

  async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
      await sleep(20);
    }
  }

  it('keeps each sender’s order across relays under load, and counts every event', async () => {
    const { redis, relays } = await startCluster(2, { RATE_LIMIT: '0', METRICS_PORT: '0' });
    try {
      const roomCount = 20;
      const perSender = 150;
      const rooms = await Promise.all(
        Array.from({ length: roomCount }, async () => {
          const room = freshRoom();
          const reader = await TestClient.join(relays[1]!.wsUrl(room));
          const senders = [
            await TestClient.join(relays[0]!.wsUrl(room)),
            await TestClient.join(relays[0]!.wsUrl(room)),
          ];
          await reader.client.next('fetch');
          await reader.client.next('fetch');
          return { reader, senders, adds: collectAdds(reader.client) };
        }),
      );
      // Batches go out once the relays have seen each other's heartbeats.
      await sleep(heartbeatIntervalMs + 1000);
      const [publishedBefore, receivedBefore] = await Promise.all([scrape(relays[0]!), scrape(relays[1]!)]);
      for (let sequence = 0; sequence < perSender; sequence++) {
        for (const { senders } of rooms) for (const { client } of senders) client.send(['send', String(sequence)]);
      }
      const total = roomCount * 2 * perSender;
      await until(() => rooms.every(({ adds }) => adds.length === 2 * perSender), 20_000, 'every add delivered');
      const inOrder = Array.from({ length: perSender }, (_, sequence) => sequence);
      for (const { senders, adds } of rooms) {
        for (const sender of senders) expect(sequencesFrom(adds, sender.id)).toEqual(inOrder);
      }
      const [publishedAfter, receivedAfter] = await Promise.all([scrape(relays[0]!), scrape(relays[1]!)]);
      const delta = (after: Scrape, before: Scrape, sample: string) => after.value(sample) - before.value(sample);
      expect(delta(publishedAfter, publishedBefore, 'onetimechat_redis_published_total')).toBe(total);
      expect(delta(receivedAfter, receivedBefore, 'onetimechat_redis_received_total')).toBe(total);
      expect(delta(receivedAfter, receivedBefore, 'onetimechat_cross_relay_delivery_seconds_count')).toBe(total);
      expect(receivedAfter.value('onetimechat_redis_connected')).toBe(1);
      expect(delta(publishedAfter, publishedBefore, 'onetimechat_redis_batches_published_total')).toBeGreaterThan(0);
    } finally {
      await stopCluster(redis, relays);
    }
  }, 60_000);

  it('loses nothing sent before a Redis restart or after it, and never reorders, while batches are in flight', async () => {
    const { redis, relays } = await startCluster(2, { RATE_LIMIT: '0' });
    try {
      const room = freshRoom();
      const remote = await TestClient.join(relays[1]!.wsUrl(room));
      const local = await TestClient.join(relays[0]!.wsUrl(room));
      const sender = await TestClient.join(relays[0]!.wsUrl(room));
      await remote.client.next('fetch');
      await remote.client.next('fetch');
      await local.client.next('fetch');
      const [remoteAdds, localAdds] = [collectAdds(remote.client), collectAdds(local.client)];
      let sent = 0;
      const sending = setInterval(() => {
        for (let i = 0; i < 5; i++) sender.client.send(['send', String(sent++)]);
      }, 2);
      const remoteHas = (sequence: number) => remoteAdds.some(([, received]) => received === sequence);

      await sleep(300);
      const sentBeforeRestart = sent;
      await until(() => remoteHas(sentBeforeRestart - 1), 5000, 'delivery before the restart');
      await redis.restart();
      // Back once a message sent after the restart crosses over; from then on, all of them must.
      const sentAfterRestart = sent;
      await until(() => remoteAdds.some(([, received]) => received >= sentAfterRestart), 15_000, 'delivery after');
      const firstAfter = remoteAdds.find(([, received]) => received >= sentAfterRestart)![1];
      await sleep(300);
      clearInterval(sending);
      const last = sent - 1;
      await until(() => remoteHas(last) && localAdds.length === sent, 5000, 'the last message');

      const remoteSequences = sequencesFrom(remoteAdds, sender.id);
      expect(remoteSequences).toEqual([...remoteSequences].sort((x, y) => x - y));
      expect(new Set(remoteSequences).size).toBe(remoteSequences.length);
      const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
      expect(remoteSequences.filter((sequence) => sequence < sentBeforeRestart)).toEqual(
        range(0, sentBeforeRestart - 1),
      );
      expect(remoteSequences.filter((sequence) => sequence >= firstAfter)).toEqual(range(firstAfter, last));
      expect(sequencesFrom(localAdds, sender.id)).toEqual(range(0, last));
    } finally {
      await stopCluster(redis, relays);
    }
  }, 60_000);
});
