// What an operator relies on, against the real relay process: HEAD and GET,
// readiness, the drain on SIGTERM, the metrics endpoint and the log formats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/client.ts';
import { metricsUrl, scrape } from '../support/metrics.ts';
import { startRedis } from '../support/redis.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';
import { sleep } from '../support/wait.ts';

let roomCounter = 0;
const freshRoom = (): string => `operations-${++roomCounter}`;

/** Polls until `read` gives a value that is `done`, for at most `ms`; resolves with the last value read. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(50);
    value = await read();
  }
  return value;
}

const status = (url: string): Promise<number> => fetch(url).then((response) => response.status);

/** What `/readyz` answers once it answers `wanted`, or at the latest after `ms`. */
const readiness = (relay: RunningRelay, wanted: number, ms: number): Promise<number> =>
  eventually(
    () => status(`${relay.httpUrl}/readyz`),
    (answer) => answer === wanted,
    ms,
  );

describe('HTTP methods', () => {
  let relay: RunningRelay;
  beforeAll(async () => (relay = await startRelay()));
  afterAll(() => relay.stop());

  it.each(['/', '/index.html', '/healthz', '/readyz', '/no/such/file'])(
    'answers HEAD %s as GET, without the body',
    async (path) => {
      const get = await fetch(relay.httpUrl + path);
      const getBody = Buffer.from(await get.arrayBuffer());
      const head = await fetch(relay.httpUrl + path, { method: 'HEAD' });
      expect(head.status).toBe(get.status);
      const withoutDate = (response: Response) => [...response.headers].filter(([name]) => name !== 'date');
      expect(withoutDate(head)).toEqual(withoutDate(get));
      expect(Number(head.headers.get('content-length'))).toBe(getBody.length);
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('answers %s with 405 and Allow: GET, HEAD', async (method) => {
    for (const path of ['/', '/healthz', '/readyz']) {
      const response = await fetch(relay.httpUrl + path, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
  });
});

describe('drain on SIGTERM', () => {
  it('fails readiness and refuses upgrades at once, keeps open sockets until the delay, then 1001 and exit 0', async () => {
    const drainDelayMs = 1500;
    const relay = await startRelay({ DRAIN_DELAY_MS: String(drainDelayMs) });
    const room = freshRoom();
    const a = await TestClient.join(relay.wsUrl(room));
    const b = await TestClient.join(relay.wsUrl(room));
    await a.client.next('fetch');
    expect(await status(`${relay.httpUrl}/readyz`)).toBe(200);

    const signalledAt = Date.now();
    const exited = relay.stop('SIGTERM');
    expect(await readiness(relay, 503, 1000)).toBe(503);
    expect(await status(`${relay.httpUrl}/healthz`)).toBe(200);
    await expect(TestClient.connect(relay.wsUrl(room))).rejects.toThrow('HTTP 503');
    // The sockets already open still talk during the delay.
    a.client.send(['send', 'still here']);
    expect(await b.client.next('add')).toEqual(['add', a.id, 'still here', expect.any(Number)]);

    const [closeA, closeB] = await Promise.all([a.client.closed, b.client.closed]);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(drainDelayMs - 100);
    expect([closeA.code, closeB.code]).toEqual([1001, 1001]);
    expect(await exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(drainDelayMs + 4000);
  });

  it('skips the rest of the delay on a second signal', async () => {
    const relay = await startRelay({ DRAIN_DELAY_MS: '60000' });
    const member = await TestClient.join(relay.wsUrl(freshRoom()));
    const signalledAt = Date.now();
    relay.process.kill('SIGTERM');
    expect(await readiness(relay, 503, 1000)).toBe(503);
    expect(await relay.stop('SIGINT')).toBe(0);
    expect((await member.client.closed).code).toBe(1001);
    expect(Date.now() - signalledAt).toBeLessThan(5000);
  });
});

describe('readiness with Redis', () => {
  it('is 503 until the relay first reaches Redis, and stays 200 through a later outage', async () => {
    const redis = await startRedis();
    await redis.stop();
    const relay = await startRelay({ REDIS_URL: redis.url, RELAY_SECRET: 'readiness test secret' });
    try {
      expect(await status(`${relay.httpUrl}/readyz`)).toBe(503);
      expect(await status(`${relay.httpUrl}/healthz`)).toBe(200);
      await redis.restart();
      expect(await readiness(relay, 200, 8000)).toBe(200);
      await redis.stop();
      await sleep(500);
      expect(await status(`${relay.httpUrl}/readyz`)).toBe(200);
    } finally {
      await relay.stop('SIGKILL');
      await redis.stop();
    }
  }, 30_000);
});

describe('metrics', () => {
  const graceMs = 300;
  let relay: RunningRelay;
  beforeAll(
    async () =>
      (relay = await startRelay({
        METRICS_PORT: '0',
        RATE_LIMIT: '1',
        RATE_BURST: '10',
        RESUME_GRACE_MS: String(graceMs),
      })),
  );
  afterAll(() => relay.stop());

  /** Everything a client sent, to compare with the bytes the relay counted. */
  let bytesSent = 0;
  const send = (client: TestClient, frame: unknown[]): void => {
    bytesSent += Buffer.byteLength(JSON.stringify(frame));
    client.send(frame);
  };

  it('are served on their own port only, as text for Prometheus', async () => {
    const url = metricsUrl(relay);
    expect(new URL(url).port).not.toBe(String(relay.port));
    expect(await status(`${relay.httpUrl}/metrics`)).toBe(404);
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await status(url.replace('/metrics', '/other'))).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  });

  it('count scripted traffic exactly, and name no room, peer or address', async () => {
    const rooms = [freshRoom(), freshRoom(), freshRoom(), freshRoom()];
    const [talk, flood, resume, lost] = rooms as [string, string, string, string];
    const a = await TestClient.join(relay.wsUrl(talk));
    const b = await TestClient.join(relay.wsUrl(talk));
    await a.client.next('fetch');
    for (const text of ['one', 'two', 'three']) send(a.client, ['send', `payload ${text}`]);
    send(b.client, ['send', 'payload to a', a.id]);
    send(a.client, ['fetch']);
    send(a.client, ['nope']);
    for (let i = 0; i < 3; i++) await b.client.next('add');
    await b.client.next('fetch');
    // b's unicast and the answer to a's bad frame may come in either order.
    const toA: unknown[] = [];
    for (let i = 0; i < 5; i++) toA.push((await a.client.next())[0]);
    expect(toA.sort()).toEqual(['add', 'add', 'add', 'add', 'error']);

    // Ten frames fit the burst; the next three are refused.
    const flooder = await TestClient.join(relay.wsUrl(flood));
    for (let i = 0; i < 13; i++) send(flooder.client, ['send', `payload flood ${i}`]);
    for (let i = 0; i < 10; i++) await flooder.client.next('add');
    for (let i = 0; i < 3; i++) expect((await flooder.client.next('error'))[1]).toBe('rate_limited');
    await flooder.client.close(1000);

    await expect(TestClient.connect(relay.wsUrl('x'.repeat(65)))).rejects.toThrow('HTTP 400');
    await expect(TestClient.connect(relay.wsUrl(talk), { origin: 'http://elsewhere.example' })).rejects.toThrow(
      'HTTP 403',
    );

    const away = await TestClient.join(relay.wsUrl(resume));
    await away.client.terminate();
    const back = await TestClient.join(`${relay.wsUrl(resume)}?resume=${String(away.info.resume)}`);
    expect(back.info.resumed).toBe(true);
    const forged = await TestClient.join(`${relay.wsUrl(resume)}?resume=${away.id}.${'A'.repeat(43)}`);
    expect(forged.info.resumed).toBe(false);
    const gone = await TestClient.join(relay.wsUrl(lost));
    await gone.client.terminate();

    const metrics = await eventually(
      () => scrape(relay),
      (scraped) => scraped.value('onetimechat_grace_expired_total') === 1,
      graceMs + 3000,
    );
    const expected: Record<string, number> = {
      onetimechat_upgrades_accepted_total: 7,
      'onetimechat_upgrades_refused_total{reason="bad_room"}': 1,
      'onetimechat_upgrades_refused_total{reason="origin"}': 1,
      'onetimechat_upgrades_refused_total{reason="draining"}': 0,
      'onetimechat_frames_received_total{command="send"}': 14,
      'onetimechat_frames_received_total{command="fetch"}': 1,
      'onetimechat_frames_refused_total{code="rate_limited"}': 3,
      'onetimechat_frames_refused_total{code="unknown_command"}': 1,
      onetimechat_received_bytes_total: bytesSent,
      'onetimechat_closes_total{code="1000"}': 1,
      'onetimechat_closes_total{code="1006"}': 2,
      onetimechat_resumes_granted_total: 1,
      onetimechat_resumes_refused_total: 1,
      onetimechat_grace_expired_total: 1,
      onetimechat_rate_limit_closes_total: 0,
      onetimechat_sockets_open: 4,
      onetimechat_rooms_open: 2,
      'onetimechat_room_size_peers_bucket{le="1"}': 0,
      'onetimechat_room_size_peers_bucket{le="2"}': 2,
      onetimechat_room_size_peers_sum: 4,
    };
    expect(Object.fromEntries(Object.keys(expected).map((sample) => [sample, metrics.value(sample)]))).toEqual(
      expected,
    );
    expect(metrics.value('onetimechat_sent_bytes_total')).toBeGreaterThan(bytesSent);
    expect(metrics.value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(metrics.text).toContain('nodejs_eventloop_lag_seconds');
    expect(metrics.text).toContain('process_open_fds');

    const clients = [a, b, flooder, away, back, forged, gone];
    const secrets = [...rooms, ...clients.map((client) => client.id), String(away.info.resume), 'payload', '127.0.0.1'];
    for (const secret of secrets) expect(metrics.text).not.toContain(secret);
    // The relay's own labels take values from fixed sets: these names, and nothing a client writes.
    const labelNames = [...metrics.text.matchAll(/^onetimechat_\w+\{(\w+)=/gm)].map((match) => match[1]);
    expect(new Set(labelNames)).toEqual(new Set(['reason', 'command', 'code', 'le']));
  });
});

describe.each(['text', 'json'])('logs as %s', (format) => {
  it('carry no payload, room id, peer id or address, under traffic and errors', async () => {
    const redis = await startRedis();
    const relay = await startRelay({
      LOG_FORMAT: format,
      REDIS_URL: redis.url,
      RELAY_SECRET: 'log test secret',
      RATE_LIMIT: '1',
      RATE_BURST: '3',
      MAX_PAYLOAD: '64',
    });
    try {
      const room = freshRoom();
      const a = await TestClient.join(relay.wsUrl(room));
      const b = await TestClient.join(relay.wsUrl(room));
      await a.client.next('fetch');
      a.client.send(['send', 'payload secret words']);
      b.client.send(['send', 'payload unicast', a.id]);
      b.client.sendRaw('payload not json');
      for (let i = 0; i < 20; i++) b.client.send(['send', `payload flood ${i}`]);
      a.client.sendRaw(`["send","payload ${'x'.repeat(4096)}"]`);
      expect((await a.client.closed).code).toBe(1009);
      await expect(TestClient.connect(relay.wsUrl(room), { origin: 'http://elsewhere.example' })).rejects.toThrow();
      await redis.stop();
      b.client.send(['send', 'payload while redis is down']);
      const errorLine = format === 'json' ? '"level":"error"' : 'onetimechat relay: redis';
      await eventually(
        async () => relay.output(),
        (output) => output.includes(errorLine),
        5000,
      );
      await b.client.terminate();

      const [startLine, ...rest] = relay.output().trim().split('\n');
      expect(rest.length).toBeGreaterThan(0);
      if (format === 'json') {
        for (const line of [startLine!, ...rest]) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          expect(entry).toMatchObject({ level: expect.stringMatching(/^(info|error)$/), message: expect.any(String) });
          expect(new Date(String(entry.time)).toISOString()).toBe(entry.time);
        }
      } else {
        expect(startLine).toMatch(/^onetimechat relay \S+ listening on http:\/\/127\.0\.0\.1:\d+, sharing rooms/);
        for (const line of rest) expect(line).toMatch(/^onetimechat relay: /);
      }
      for (const secret of [room, a.id, b.id, String(a.info.resume), 'payload', 'elsewhere']) {
        expect(relay.output()).not.toContain(secret);
      }
      // The start line names the relay's own address; nothing after it names any address.
      expect(rest.join('\n')).not.toMatch(/127\.0\.0\.1|\d+\.\d+\.\d+\.\d+|::1/);
    } finally {
      await relay.stop('SIGKILL');
      await redis.stop();
    }
  }, 30_000);
});
