// The terminal client's script mode against the real relay: lines in,
// messages out, JSON that parses, and an exit code for each way of failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/redis.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { startCli, waitFor, type CliRun } from '../support/terminal.ts';

let relay: RunningRelay;
const running: CliRun[] = [];
beforeAll(async () => (relay = await startRelay()));
afterAll(async () => {
  for (const run of running) run.process.kill('SIGKILL');
  await relay?.stop();
});

function cli(args: string[], env: Record<string, string> = {}): CliRun {
  const run = startCli(args, env);
  running.push(run);
  return run;
}

/** Starts a member that creates a room and stays; resolves with it and the room's link. */
async function host(relayUrl: string, extra: string[] = []): Promise<{ run: CliRun; link: string }> {
  const run = cli(['create', '--relay', relayUrl, '--pipe', '--json', '--stay', 'forever', ...extra]);
  const stderr = await waitFor(run.stderr, (text) => /room link: \S+#\S+/.test(text));
  return { run, link: /room link: (\S+)/.exec(stderr)![1]! };
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('script mode', () => {
  it('sends each line, prints the room, and exits 0 once its messages were delivered', async () => {
    const { run: a, link } = await host(relay.httpUrl, ['--name', 'Host']);
    a.write('written before you came\n');
    await waitFor(a.stdout, (out) => out.includes('written before you came'));

    const b = cli(['--pipe', '--name', 'Piper'], { ONETIMECHAT_LINK: link });
    b.write('first line\n\nsecond line\n');
    b.end();
    expect(await b.exited).toBe(0);
    const printed = b.stdout().trim().split('\n');
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatch(/^\d\d:\d\d:\d\d Host #[0-9a-f]{4}: written before you came$/);
    expect(printed.slice(1).map((line) => line.replace(/^\S+ /, ''))).toEqual([
      expect.stringMatching(/^Piper #[0-9a-f]{4}: first line$/),
      expect.stringMatching(/^Piper #[0-9a-f]{4}: second line$/),
    ]);
    expect(b.stderr()).toBe('');

    const seen = jsonLines(await waitFor(a.stdout, (out) => out.includes('second line')));
    expect(seen.map((line) => [line.name, line.text, line.self])).toEqual([
      ['Host', 'written before you came', true],
      ['Piper', 'first line', false],
      ['Piper', 'second line', false],
    ]);
    expect(seen[1]).toMatchObject({ type: 'message', action: false, ttl: 'off', tag: expect.stringMatching(/^#/) });
    expect(Date.parse(seen[1]!.time as string)).toBe(seen[1]!.ts);

    // Piper left, so its messages are gone: a newcomer gets only the host's.
    const late = cli([link, '--pipe', '--json']);
    late.end();
    expect(await late.exited).toBe(0);
    expect(jsonLines(late.stdout()).map((line) => line.text)).toEqual(['written before you came']);

    a.process.kill('SIGTERM');
    expect(await a.exited).toBe(143);
  });

  it('stays as long as --stay says after everything is delivered', async () => {
    const { run: a, link } = await host(relay.httpUrl);
    const b = cli([link, '--pipe', '--stay', '1500ms']);
    b.write('wait for me\n');
    b.end();
    await waitFor(b.stdout, (out) => out.includes('wait for me'));
    const delivered = Date.now();
    expect(await b.exited).toBe(0);
    expect(Date.now() - delivered).toBeGreaterThanOrEqual(1000);
    a.process.kill('SIGTERM');
  });
});

describe('a network drop', () => {
  it('survives it: nothing sent is lost or doubled, and its messages stay in the room', async () => {
    const proxy = await startTcpProxy(relay.port);
    try {
      const { run: traveller, link } = await host(`http://127.0.0.1:${proxy.port}`, ['--name', 'Traveller']);
      const direct = link.replace(`:${proxy.port}/`, `:${relay.port}/`);
      const friend = cli([direct, '--pipe', '--json', '--stay', 'forever']);
      traveller.write('entering the tunnel\n');
      await waitFor(friend.stdout, (out) => out.includes('entering the tunnel'));

      proxy.dropAll();
      traveller.write('written in the tunnel\n');
      await waitFor(friend.stdout, (out) => out.includes('written in the tunnel'), 15_000);

      // The traveller never left: a newcomer still gets both of its messages, and the friend saw each once.
      const newcomer = cli([direct, '--pipe', '--json']);
      newcomer.end();
      expect(await newcomer.exited).toBe(0);
      expect(jsonLines(newcomer.stdout()).map((line) => line.text)).toEqual([
        'entering the tunnel',
        'written in the tunnel',
      ]);
      expect(jsonLines(friend.stdout()).map((line) => line.text)).toEqual([
        'entering the tunnel',
        'written in the tunnel',
      ]);
    } finally {
      await proxy.close();
    }
  });
});

describe('exit codes and one-line errors', () => {
  async function failsWith(run: CliRun, code: number, message: RegExp): Promise<void> {
    run.end();
    expect(await run.exited).toBe(code);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(run.stdout()).toBe('');
  }

  it('2 for a bad link or bad arguments', async () => {
    await failsWith(cli(['https://chat.test/#tooshort', '--pipe']), 2, /^onetimechat: .*room secret/);
    await failsWith(cli(['--pipe', '--stay', 'soon', 'room']), 2, /^onetimechat: --stay/);
    await failsWith(cli(['--pipe']), 2, /no room link given/);
  });

  it('3 for a relay that cannot be reached', async () => {
    const port = await freePort();
    await failsWith(cli(['some room', '--relay', `http://127.0.0.1:${port}`, '--pipe']), 3, /cannot be reached/);
  });

  it('4 for a full room', async () => {
    const small = await startRelay({ ROOM_MAX_PEERS: '1' });
    try {
      const { link } = await host(small.httpUrl);
      await failsWith(cli([link, '--pipe']), 4, /room is full/);
    } finally {
      await small.stop();
    }
  });

  it('5 for a relay that refuses the origin', async () => {
    const strict = await startRelay({ ALLOWED_ORIGINS: 'https://elsewhere.test' });
    try {
      await failsWith(cli(['a room', '--relay', strict.httpUrl, '--pipe']), 5, /origin/);
    } finally {
      await strict.stop();
    }
  });
});
