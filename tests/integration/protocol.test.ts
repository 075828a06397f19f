// Every rule of protocol v1 against the real relay process.
import { readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxFrameLength } from '../../protocol/index.ts';
import { TestClient } from '../support/client.ts';
import { freePort } from '../support/redis.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const maxPayload = 1024;
const secretWords = 'correct horse battery staple';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({
    MAX_PAYLOAD: String(maxPayload),
    ROOM_MAX_PEERS: '3',
    RATE_LIMIT: '1000',
    RATE_BURST: '1000',
  });
});
afterAll(() => relay.stop());

let roomCounter = 0;
const freshRoom = (): string => `protocol-${++roomCounter}`;

/** Two peers in a fresh room; a has seen b arrive. */
async function pair() {
  const room = freshRoom();
  const a = await TestClient.join(relay.wsUrl(room));
  const b = await TestClient.join(relay.wsUrl(room));
  await a.client.next('fetch');
  return { room, a, b };
}

describe('init', () => {
  it('comes first, with a relay-assigned v4 id, the peers present and the limits', async () => {
    const room = freshRoom();
    const first = await TestClient.join(relay.wsUrl(room));
    expect(first.id).toMatch(uuidV4);
    expect(first.peers).toEqual([]);
    expect(first.info).toMatchObject({ v: 1, limits: { maxPayload, rate: 1000, burst: 1000 } });
    const second = await TestClient.join(relay.wsUrl(room));
    expect(second.peers).toEqual([first.id]);
    expect(second.id).not.toBe(first.id);
  });
});

describe('send', () => {
  it('reaches everyone in the room, the sender included, stamped by the relay', async () => {
    const { a, b } = await pair();
    const before = Date.now();
    b.client.send(['send', 'hello']);
    for (const { client } of [a, b]) {
      const [command, from, payload, ts] = await client.next();
      expect([command, from, payload]).toEqual(['add', b.id, 'hello']);
      expect(ts).toBeGreaterThanOrEqual(before - 1000);
      expect(ts).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  it('forwards the payload byte for byte, escapes and all', async () => {
    const { a, b } = await pair();
    const payload = 'quote " backslash \\ newline \n unicode é 😀 \u0000';
    a.client.send(['send', payload]);
    expect((await b.client.next('add'))[2]).toBe(payload);
  });

  it('delivers a unicast to its target only', async () => {
    const room = freshRoom();
    const a = await TestClient.join(relay.wsUrl(room));
    const b = await TestClient.join(relay.wsUrl(room));
    const c = await TestClient.join(relay.wsUrl(room));
    await a.client.next('fetch');
    await a.client.next('fetch');
    await b.client.next('fetch');
    a.client.send(['send', 'psst', c.id]);
    expect(await c.client.next('add')).toEqual(['add', a.id, 'psst', expect.any(Number)]);
    await a.client.expectSilence(200);
    await b.client.expectSilence(0);
  });

  it('answers no_such_peer for a unicast to an unknown id or to a peer in another room', async () => {
    const { a } = await pair();
    const elsewhere = await TestClient.join(relay.wsUrl(freshRoom()));
    for (const target of ['00000000-0000-4000-8000-000000000000', elsewhere.id]) {
      a.client.send(['send', 'hello?', target]);
      expect((await a.client.next('error'))[1]).toBe('no_such_peer');
    }
    await elsewhere.client.expectSilence(200);
  });

  it('never crosses rooms', async () => {
    const one = await pair();
    const two = await pair();
    one.a.client.send(['send', 'room one only']);
    await one.a.client.next('add');
    await one.b.client.next('add');
    await two.a.client.expectSilence(200);
    await two.b.client.expectSilence(0);
  });
});

describe('fetch', () => {
  it('runs the newcomer flow: peers hear of the arrival and answer it alone', async () => {
    const room = freshRoom();
    const a = await TestClient.join(relay.wsUrl(room));
    const b = await TestClient.join(relay.wsUrl(room));
    await a.client.next('fetch');
    const newcomer = await TestClient.join(relay.wsUrl(room));
    for (const peer of [a, b]) {
      expect(await peer.client.next('fetch')).toEqual(['fetch', newcomer.id]);
      peer.client.send(['send', `history of ${peer.id}`, newcomer.id]);
    }
    const received = [await newcomer.client.next('add'), await newcomer.client.next('add')];
    expect(received.map(([, from, payload]) => [from, payload]).sort()).toEqual(
      [
        [a.id, `history of ${a.id}`],
        [b.id, `history of ${b.id}`],
      ].sort(),
    );
    await a.client.expectSilence(200);
    await b.client.expectSilence(0);
  });

  it('relays an explicit fetch, with or without summary, to the others but not the sender', async () => {
    const { a, b } = await pair();
    b.client.send(['fetch']);
    expect(await a.client.next('fetch')).toEqual(['fetch', b.id]);
    b.client.send(['fetch', 'what I have']);
    expect(await a.client.next('fetch')).toEqual(['fetch', b.id, 'what I have']);
    await b.client.expectSilence(200);
  });
});

describe('rm', () => {
  it('tells the others when a peer closes its socket', async () => {
    const { a, b } = await pair();
    await b.client.close();
    expect(await a.client.next('rm')).toEqual(['rm', b.id]);
  });
});

describe('spoofing', () => {
  it('stamps the real sender whatever the frame claims', async () => {
    const { a, b } = await pair();
    b.client.sendRaw(JSON.stringify(['send', 'from a, honest', a.id]));
    expect(await a.client.next('add')).toEqual(['add', b.id, 'from a, honest', expect.any(Number)]);
  });

  it.each([
    ['add', (victim: string) => ['add', victim, 'forged', 1]],
    ['rm', (victim: string) => ['rm', victim]],
    ['init', (victim: string) => ['init', victim, [], { v: 1 }]],
    ['error', () => ['error', 'room_full', 'forged']],
  ])('refuses a client-sent %s and forwards nothing', async (_name, forge) => {
    const { a, b } = await pair();
    b.client.send(forge(a.id));
    expect((await b.client.next('error'))[1]).toBe('unknown_command');
    await a.client.expectSilence(200);
  });

  it('does not let a fetch name its requester', async () => {
    const { a, b } = await pair();
    b.client.send(['fetch', 'summary', a.id]);
    expect((await b.client.next('error'))[1]).toBe('bad_frame');
    await a.client.expectSilence(200);
  });
});

describe('malformed input', () => {
  it.each([
    ['not JSON', 'hello'],
    ['not an array', '{"send":"x"}'],
    ['an empty array', '[]'],
    ['a number command', '[7]'],
    ['wrong payload type', '["send",{"nested":["deep"]}]'],
    ['too many parameters', '["send","a","b","c"]'],
    ['a huge number', '["send",1e999]'],
  ])('answers bad_frame to %s and stays usable', async (_name, text) => {
    const { a, b } = await pair();
    b.client.sendRaw(text);
    expect((await b.client.next('error'))[1]).toBe('bad_frame');
    b.client.send(['send', 'still works']);
    expect((await a.client.next('add'))[2]).toBe('still works');
  });

  it('answers bad_frame to a binary frame and stays usable', async () => {
    const { a, b } = await pair();
    b.client.sendRaw(Buffer.from('["send","binary"]'), true);
    expect((await b.client.next('error'))[1]).toBe('bad_frame');
    await a.client.expectSilence(200);
    b.client.send(['send', 'text works']);
    expect((await a.client.next('add'))[2]).toBe('text works');
  });

  it('answers unknown_command to an unknown command', async () => {
    const { b } = await pair();
    b.client.send(['dance', 'now']);
    expect((await b.client.next('error'))[1]).toBe('unknown_command');
  });

  it('answers too_large to a payload over MAX_PAYLOAD and stays open', async () => {
    const { a, b } = await pair();
    b.client.send(['send', 'x'.repeat(maxPayload + 1)]);
    expect((await b.client.next('error'))[1]).toBe('too_large');
    await a.client.expectSilence(200);
    b.client.send(['send', 'x'.repeat(maxPayload)]);
    expect((await a.client.next('add'))[2]).toHaveLength(maxPayload);
  });

  it('closes with 1009 a frame over the transport limit, and only that socket', async () => {
    const { a, b } = await pair();
    b.client.sendRaw(JSON.stringify(['send', 'x'.repeat(maxFrameLength(maxPayload) + 1)]));
    expect((await b.client.closed).code).toBe(1009);
    expect(await a.client.next('rm')).toEqual(['rm', b.id]);
  });
});

describe('upgrade', () => {
  /** The HTTP status of a WebSocket upgrade request to `path`. */
  function upgradeStatus(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: relay.port,
        path,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('upgrade', (response, socket) => {
        socket.destroy();
        resolve(response.statusCode ?? 0);
      });
      req.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it.each(['/ws/', `/ws/${'x'.repeat(65)}`, '/ws/bad%20room', '/ws/a.b', '/ws/a/b', '/socket/room', '/'])(
    'refuses %s with HTTP 400',
    async (path) => expect(await upgradeStatus(path)).toBe(400),
  );

  it('accepts a good room id', async () => {
    expect(await upgradeStatus('/ws/Good_room-1')).toBe(101);
  });
});

describe('room_full', () => {
  it('turns away the joiner past ROOM_MAX_PEERS with an error and a close', async () => {
    const room = freshRoom();
    const members = [];
    for (let i = 0; i < 3; i++) members.push(await TestClient.join(relay.wsUrl(room)));
    const extra = await TestClient.connect(relay.wsUrl(room));
    expect((await extra.next('error'))[1]).toBe('room_full');
    expect((await extra.closed).code).toBe(1013);
    const [first, second] = members;
    await first!.client.next('fetch');
    await first!.client.next('fetch');
    await second!.client.next('fetch');
    // The turned-away socket never joined: nobody hears of it.
    await first!.client.expectSilence(200);
  });
});

describe('HTTP', () => {
  it('answers /healthz', async () => {
    const response = await fetch(`${relay.httpUrl}/healthz`);
    expect(response.status).toBe(200);
  });

  it('serves the page uncached and hashed assets cached for good', async () => {
    const page = await fetch(`${relay.httpUrl}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${relay.httpUrl}${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers 404 for unknown paths', async () => {
    expect((await fetch(`${relay.httpUrl}/no/such/file`)).status).toBe(404);
  });
});

describe('after all of the above', () => {
  it('still serves other rooms, and logged neither payloads nor addresses', async () => {
    const { a, b } = await pair();
    a.client.send(['send', secretWords]);
    expect((await b.client.next('add'))[2]).toBe(secretWords);
    expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
    const [startLine, ...rest] = relay.output().split('\n');
    expect(startLine).toMatch(/^onetimechat relay \S+ listening on http:\/\/127\.0\.0\.1:\d+$/);
    const afterStart = rest.join('\n');
    for (const leak of [secretWords, 'hello', 'psst', 'history of', '127.0.0.1', 'forged']) {
      expect(afterStart).not.toContain(leak);
    }
  });
});

describe('storage', () => {
  it('holds no file open after serving and relaying: the page is served from memory', () => {
    const files = readdirSync(`/proc/${relay.process.pid}/fd`)
      .map((fd) => {
        try {
          return readlinkSync(`/proc/${relay.process.pid}/fd/${fd}`);
        } catch {
          return ''; // closed while listing
        }
      })
      .filter((target) => target.startsWith('/') && !target.startsWith('/dev/'));
    expect(files).toEqual([]);
  });
});

describe('listening', () => {
  it('refuses to share its port with another process, rather than splitting rooms between them', async () => {
    // A port asked for by number, as operators do: sharing is only possible there.
    const port = String(await freePort());
    const first = await startRelay({ PORT: port });
    try {
      const second = await startRelay({ PORT: port }).then(
        async (shared) => {
          await shared.stop();
          return 'listening too';
        },
        (reason: unknown) => String(reason),
      );
      expect(second).toMatch(/relay exited with 1:[\s\S]*cannot listen on 127\.0\.0\.1:\d+/);
      await TestClient.join(first.wsUrl('still-here'));
    } finally {
      await first.stop();
    }
  });
});
