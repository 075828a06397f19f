// Limits, resume and recovery against the real relay process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/client.ts';
import { rssKiB } from '../support/proc.ts';
import { freePort } from '../support/redis.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';

const graceMs = 1500;
let roomCounter = 0;
const freshRoom = (): string => `hardening-${++roomCounter}`;

describe('resume', () => {
  let relay: RunningRelay;
  beforeAll(async () => (relay = await startRelay({ RESUME_GRACE_MS: String(graceMs) })));
  afterAll(() => relay.stop());

  async function pairWithLostPeer() {
    const room = freshRoom();
    const watcher = await TestClient.join(relay.wsUrl(room));
    const lost = await TestClient.join(relay.wsUrl(room));
    await watcher.client.next('fetch');
    await lost.client.terminate();
    return { room, watcher, lost };
  }

  it('gives the same id back within the grace period; peers see no rm and no arrival', async () => {
    const { room, watcher, lost } = await pairWithLostPeer();
    // An away peer is still in the room: no no_such_peer.
    watcher.client.send(['send', 'while you were away', lost.id]);
    await watcher.client.expectSilence(100);
    const back = await TestClient.join(`${relay.wsUrl(room)}?resume=${String(lost.info.resume)}`);
    expect(back.id).toBe(lost.id);
    expect(back.info.resumed).toBe(true);
    expect(back.peers).toEqual([watcher.id]);
    await watcher.client.expectSilence(graceMs + 500);
  });

  it('closes the older socket with 4001 when its id resumes elsewhere', async () => {
    const room = freshRoom();
    const first = await TestClient.join(relay.wsUrl(room));
    const second = await TestClient.join(`${relay.wsUrl(room)}?resume=${String(first.info.resume)}`);
    expect(second.id).toBe(first.id);
    expect((await first.client.closed).code).toBe(4001);
  });

  it('makes a newcomer of a late, forged or foreign token; peers saw rm when the grace ended', async () => {
    const { room, watcher, lost } = await pairWithLostPeer();
    expect(await watcher.client.next('rm', graceMs + 2000)).toEqual(['rm', lost.id]);
    const token = String(lost.info.resume);
    const forged = `${lost.id}.${'A'.repeat(43)}`;
    const other = await TestClient.join(relay.wsUrl(freshRoom()));
    for (const candidate of [token, forged, String(other.info.resume)]) {
      const back = await TestClient.join(`${relay.wsUrl(room)}?resume=${encodeURIComponent(candidate)}`);
      expect(back.id).not.toBe(lost.id);
      expect(back.id).not.toBe(other.id);
      expect(back.info.resumed).toBe(false);
      expect(await watcher.client.next('fetch')).toEqual(['fetch', back.id]);
      await back.client.close();
      await watcher.client.next('rm');
    }
  });

  it('lets a clean close leave at once', async () => {
    const room = freshRoom();
    const watcher = await TestClient.join(relay.wsUrl(room));
    const leaver = await TestClient.join(relay.wsUrl(room));
    await watcher.client.next('fetch');
    const closedAt = Date.now();
    await leaver.client.close(1000);
    expect(await watcher.client.next('rm')).toEqual(['rm', leaver.id]);
    expect(Date.now() - closedAt).toBeLessThan(graceMs);
  });
});

describe('restart', () => {
  it('takes clients back with their ids after SIGKILL when RELAY_SECRET is set', async () => {
    const port = String(await freePort());
    const env = { PORT: port, RELAY_SECRET: 'restart test secret', RESUME_GRACE_MS: '5000' };
    const before = await startRelay(env);
    const room = freshRoom();
    const a = await TestClient.join(before.wsUrl(room));
    const b = await TestClient.join(before.wsUrl(room));
    await before.stop('SIGKILL');
    const after = await startRelay(env);
    try {
      const backA = await TestClient.join(`${after.wsUrl(room)}?resume=${String(a.info.resume)}`);
      const backB = await TestClient.join(`${after.wsUrl(room)}?resume=${String(b.info.resume)}`);
      expect([backA.id, backB.id]).toEqual([a.id, b.id]);
      expect(backB.peers).toEqual([a.id]);
      backB.client.send(['send', 'we are back']);
      expect(await backA.client.next('add')).toEqual(['add', b.id, 'we are back', expect.any(Number)]);
    } finally {
      await after.stop();
    }
  });
});

describe('admission', () => {
  let relay: RunningRelay;
  beforeAll(
    async () =>
      (relay = await startRelay({
        ALLOWED_ORIGINS: 'https://chat.example.org',
        MAX_CONNECTIONS_PER_ADDRESS: '3',
        MAX_CONNECTIONS: '5',
        TRUST_PROXY: 'xff:1',
      })),
  );
  afterAll(() => relay.stop());

  it('refuses sockets from origins not allowed, and accepts the allowed one', async () => {
    await expect(TestClient.connect(relay.wsUrl(freshRoom()), { origin: 'https://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
    const allowed = await TestClient.join(relay.wsUrl(freshRoom()), { origin: 'https://chat.example.org' });
    await allowed.client.close();
  });

  /** What one trusted proxy sends on: whatever the client wrote, then the address the proxy saw. */
  const from = (address: string, written = '') => ({
    headers: { 'X-Forwarded-For': written ? `${written}, ${address}` : address },
  });

  it('limits connections per client address, read from the trusted proxy header', async () => {
    const room = freshRoom();
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await TestClient.join(relay.wsUrl(room), from('198.51.100.7')));
    await expect(TestClient.connect(relay.wsUrl(room), from('198.51.100.7'))).rejects.toThrow('HTTP 429');
    // Review finding: a client writing its own X-Forwarded-For or Fly-Client-IP does not escape the limit.
    await expect(TestClient.connect(relay.wsUrl(room), from('198.51.100.7', '192.0.2.1'))).rejects.toThrow('HTTP 429');
    const flyHeader = { headers: { ...from('198.51.100.7').headers, 'Fly-Client-IP': '192.0.2.2' } };
    await expect(TestClient.connect(relay.wsUrl(room), flyHeader)).rejects.toThrow('HTTP 429');
    const other = await TestClient.join(relay.wsUrl(room), from('198.51.100.8'));
    await held[0]!.client.close();
    const again = await TestClient.join(relay.wsUrl(room), from('198.51.100.7'));
    await Promise.all([...held.slice(1), other, again].map(({ client }) => client.close()));
  });

  it('limits connections in all', async () => {
    const room = freshRoom();
    const held = [];
    for (let i = 0; i < 5; i++) {
      held.push(await TestClient.join(relay.wsUrl(room), from(`203.0.113.${i}`)));
    }
    await expect(TestClient.connect(relay.wsUrl(room), from('203.0.113.99'))).rejects.toThrow('HTTP 503');
    await Promise.all(held.map(({ client }) => client.close()));
  });
});

describe('rate limits', () => {
  it('drops frames past the rate with rate_limited, and closes a sender that keeps at it with 1008', async () => {
    const relay = await startRelay({ RATE_LIMIT: '5', RATE_BURST: '5' });
    try {
      const room = freshRoom();
      const watcher = await TestClient.join(relay.wsUrl(room));
      const flooder = await TestClient.join(relay.wsUrl(room));
      await watcher.client.next('fetch');
      for (let i = 0; i < 10; i++) flooder.client.send(['send', `flood ${i}`]);
      const answers = [];
      for (let i = 0; i < 10; i++) answers.push(await flooder.client.next());
      expect(answers.filter(([command]) => command === 'add')).toHaveLength(5);
      expect(answers.filter(([command, code]) => command === 'error' && code === 'rate_limited')).toHaveLength(5);
      for (let i = 0; i < 5; i++) expect((await watcher.client.next('add'))[2]).toBe(`flood ${i}`);
      for (let i = 0; i < 100; i++) flooder.client.send(['send', 'more']);
      expect((await flooder.client.closed).code).toBe(1008);
      expect(await watcher.client.next('rm')).toEqual(['rm', flooder.id]);
    } finally {
      await relay.stop();
    }
  });

  it('drops frames past the byte budget even within the frame rate, and announces both budgets', async () => {
    // 1,024-byte payloads make frames of about 1,040 bytes: three fit the 4,000-byte burst, and
    // at 100 bytes a second the bucket cannot refill a fourth while the test sends.
    const relay = await startRelay({
      RATE_LIMIT: '100',
      RATE_BURST: '100',
      MAX_PAYLOAD: '1024',
      RATE_BYTES: '100',
      RATE_BURST_BYTES: '4000',
    });
    try {
      const room = freshRoom();
      const watcher = await TestClient.join(relay.wsUrl(room));
      const sender = await TestClient.join(relay.wsUrl(room));
      expect(sender.info.limits).toEqual({ maxPayload: 1024, rate: 100, burst: 100, byteRate: 100, byteBurst: 4000 });
      await watcher.client.next('fetch');
      for (let i = 0; i < 5; i++) sender.client.send(['send', `${i}`.repeat(1024)]);
      sender.client.send(['send', 'small']);
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await sender.client.next());
      expect(answers.map(([command]) => command)).toEqual(['add', 'add', 'add', 'error', 'error', 'add']);
      expect(answers[3]?.slice(0, 2)).toEqual(['error', 'rate_limited']);
      expect(answers[3]?.[2]).toContain('bytes');
      expect(answers[5]?.[2]).toBe('small');
      for (let i = 0; i < 3; i++) expect((await watcher.client.next('add'))[2]).toBe(`${i}`.repeat(1024));
      expect((await watcher.client.next('add'))[2]).toBe('small');
    } finally {
      await relay.stop();
    }
  });

  it('allows fetch far less often than send (review finding: fetch amplification)', async () => {
    const relay = await startRelay();
    try {
      const room = freshRoom();
      const watcher = await TestClient.join(relay.wsUrl(room));
      const stranger = await TestClient.join(relay.wsUrl(room));
      await watcher.client.next('fetch');
      for (let i = 0; i < 10; i++) stranger.client.send(['fetch']);
      stranger.client.send(['send', 'still heard']);
      const refused = [];
      for (let i = 0; i < 7; i++) refused.push(await stranger.client.next());
      expect(refused.slice(0, 6).every(([command, code]) => command === 'error' && code === 'rate_limited')).toBe(true);
      expect(refused[6]).toEqual(['add', stranger.id, 'still heard', expect.any(Number)]);
      for (let i = 0; i < 4; i++) expect(await watcher.client.next()).toEqual(['fetch', stranger.id]);
      expect((await watcher.client.next())[0]).toBe('add');
    } finally {
      await relay.stop();
    }
  });
});

describe('dead peers', () => {
  it('are dropped within the idle timeout when they stop answering pings', async () => {
    const relay = await startRelay({ IDLE_TIMEOUT_S: '8', RESUME_GRACE_MS: '0' });
    try {
      const room = freshRoom();
      const watcher = await TestClient.join(relay.wsUrl(room));
      const silent = await TestClient.join(relay.wsUrl(room), { autoPong: false });
      await watcher.client.next('fetch');
      // The watcher answers pings, so only the silent one goes.
      const rm = await watcher.client.next('rm', 20_000);
      expect(rm).toEqual(['rm', silent.id]);
    } finally {
      await relay.stop();
    }
  }, 30_000);
});

describe('backpressure', () => {
  it('drops a reader that stops reading, without slowing its room or growing without bound', async () => {
    // No grace period, so the dropped reader's rm shows when it was dropped.
    const relay = await startRelay({ RATE_LIMIT: '0', MAX_BACKPRESSURE: String(256 * 1024), RESUME_GRACE_MS: '0' });
    try {
      const room = freshRoom();
      const reader = await TestClient.join(relay.wsUrl(room));
      const stalled = await TestClient.join(relay.wsUrl(room));
      const sender = await TestClient.join(relay.wsUrl(room));
      await reader.client.next('fetch');
      await reader.client.next('fetch');
      await stalled.client.next('fetch');
      const baseline = rssKiB(relay.process.pid!);
      stalled.client.socket.pause();
      const payload = 'p'.repeat(32 * 1024);
      // 64 MiB in all: past what the kernel buffers for the stalled socket, and far past the bound.
      const count = 2048;
      const window = 8; // the sender keeps pace with the reader that reads
      let received = 0;
      let stalledDropped = false;
      let peak = baseline;
      for (let sent = 0; sent < count; sent += window) {
        for (let i = 0; i < window; i++) sender.client.send(['send', payload]);
        const done = received + window;
        while (received < done) {
          const [command, id] = await reader.client.next(undefined, 10_000);
          if (command === 'add' && id === sender.id) received++;
          if (command === 'rm' && id === stalled.id) stalledDropped = true;
        }
        peak = Math.max(peak, rssKiB(relay.process.pid!));
      }
      if (!stalledDropped) expect(await reader.client.next('rm', 10_000)).toEqual(['rm', stalled.id]);
      // Holding the flood for the stalled reader would take some 50 MiB; its bounded
      // queue plus the garbage of relaying 64 MiB stays well under half that.
      expect(peak - baseline).toBeLessThan(24 * 1024);
    } finally {
      await relay.stop();
    }
  }, 60_000);
});
