// Client performance, measured in real Chromium against the real relay:
//  - the production JavaScript a newcomer loads before the room is usable,
//    gzipped, against its budget, and the chunks loaded only on first use;
//  - a newcomer joining a room where 20 peers hold 10,000 messages between them:
//    time until all of them are on screen;
//  - the same newcomer time with formatting off (the reader's preference), in
//    the same run, newcomers taking turns, and the new-message time below for
//    both: what drawing Markdown costs;
//  - the same newcomer time without sealing (no additional data, signatures or
//    padding: a baseline build and baseline peers), in the same run, so that
//    what sealing costs the newcomer path is measured rather than guessed;
//  - with those 10,000 on screen, how long a new message takes to appear and
//    how much of the page it touches.
// The 20 peers run the client's own room logic in Node (ws sockets), so what
// the newcomer receives is exactly what 20 browsers would send it.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import WebSocket from 'ws';
import type { SocketLike } from '../../client/src/lib/connection.ts';
import { newRoomSecret } from '../../client/src/lib/crypto.ts';
import { RoomSession } from '../../client/src/lib/room.ts';
import type { Page } from 'playwright-core';
import { createRoom, launchBrowser, type PersonOptions, type TestBrowser } from '../support/browser.ts';
import { startRelay } from '../support/relay.ts';
import { sleep } from '../support/wait.ts';
import { fileTransferRows } from './client-files.ts';
import { median, quantile } from './stats.ts';

export { runFileReceiver } from './client-files.ts';

const peerCount = 20;
const totalMessages = 10_000;
const liveSamples = 30;
const newcomerRounds = 5;

const jsBudgetBytes = 75 * 1024;

/** The gzipped size of every script of the production client, by the path the page requests it at. */
function gzippedScripts(): Map<string, number> {
  const dir = 'dist/client/assets';
  return new Map(
    readdirSync(dir)
      .filter((name) => name.endsWith('.js'))
      .map((name) => [`/assets/${name}`, gzipSync(readFileSync(`${dir}/${name}`)).length]),
  );
}

/** A chunk's name without its content hash. */
function chunkName(path: string): string {
  return path.replace(/^\/assets\//, '').replace(/-[\w-]{8}\.js$/, '');
}

/**
 * The size budget is for what a newcomer waits for: the scripts its page
 * requested up to the whole history drawn, as the newcomer's own page records
 * them (the entry, its static imports, and the parser the room starts loading
 * as it opens). Everything else loads on first use, and is reported chunk by chunk.
 */
function scriptRows(loaded: readonly string[]): [string, string][] {
  const sizes = gzippedScripts();
  const missing = loaded.filter((path) => !sizes.has(path));
  if (missing.length > 0) throw new Error(`the newcomer loaded scripts the build does not have: ${missing.join(', ')}`);
  const first = loaded.reduce((sum, path) => sum + sizes.get(path)!, 0);
  const later = [...sizes].filter(([path]) => !loaded.includes(path)).sort((a, b) => b[1] - a[1]);
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  return [
    [
      'JavaScript a newcomer loads before the room is usable, gzipped',
      `${kb(first)} in ${loaded.length} files (${loaded.map(chunkName).join(', ')}); ${first <= jsBudgetBytes ? 'within' : 'OVER'} the 75 KB budget`,
    ],
    [
      '  loaded on first use, gzipped',
      later.length > 0 ? later.map(([path, bytes]) => `${chunkName(path)} ${kb(bytes)}`).join(', ') : 'nothing',
    ],
  ];
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function countMessages(peer: RoomSession): number {
  return peer.history.entries().filter((entry) => entry.kind === 'message').length;
}

function sentence(peer: number, index: number): string {
  return `Message ${index} from peer ${peer}: the quick brown fox jumps over the lazy dog, again.`;
}

/**
 * Some of the 20 peers (`first` to `first + count - 1`), run in a process of
 * their own (see scripts/bench-client.mjs): 20 people have 20 machines, and
 * 20 histories in one heap would make the peers, not the newcomer, what is
 * measured. They fill the room, print "ready <ms>", then send a live message
 * for each "send <i>" line read, printing "sent <i> <epoch ms>".
 */
export async function runPeers(
  port: number,
  secret: string,
  first: number,
  count: number,
  unsealed = false,
): Promise<void> {
  const peers = new Map<number, RoomSession>();
  for (let p = first; p < first + count; p++) {
    const peer = await RoomSession.open({
      secret,
      socketOrigin: `ws://127.0.0.1:${port}`,
      name: `Peer ${p}`,
      onChange: () => {},
      unsealedForBenchmark: unsealed,
      // ws speaks the same WebSocket interface the client uses.
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    });
    peers.set(p, peer);
  }
  const all = [...peers.values()];
  await until(() => all.every((peer) => peer.state === 'connected'), 10_000, 'peers to connect');
  // Everyone is in the room before anyone speaks, so every peer hears every message.
  console.log('connected');
  await next(createInterface({ input: process.stdin })[Symbol.asyncIterator](), 'fill');
  const fillStart = Date.now();
  await Promise.all(
    [...peers].map(async ([p, peer]) => {
      for (let i = p; i < totalMessages; i += peerCount) await peer.send(sentence(p, i));
    }),
  );
  // Every peer holds everyone's messages and has handled every frame, as in a room that has been quiet a while.
  await until(
    () => all.every((peer) => peer.history.pending().length === 0 && countMessages(peer) === totalMessages),
    180_000,
    'every peer to hold every message',
  );
  await Promise.all(all.map((peer) => peer.settled()));
  console.log(`ready ${Date.now() - fillStart}`);
  for await (const line of createInterface({ input: process.stdin })) {
    const index = Number(line.split(' ')[1]);
    const sentAt = Date.now();
    await peers.get(index % peerCount)!.send(`live message ${index}`);
    console.log(`sent ${index} ${sentAt}`);
  }
  for (const peer of all) peer.leave();
}

/** The words after `prefix` on the next line that starts with it. */
async function next(lines: AsyncIterator<string>, prefix: string): Promise<string[]> {
  for (;;) {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the peers stopped before "${prefix}"`);
    const words = String(value).split(' ');
    if (words[0] === prefix) return words.slice(1);
  }
}

const peerProcesses = 5;

/** Starts the peers' processes and waits until they hold the whole history. */
async function startPeers(
  port: number,
  secret: string,
  unsealed = false,
): Promise<{ fillMs: number; send(index: number): Promise<number>; stop(): void }> {
  const perProcess = peerCount / peerProcesses;
  const children = Array.from({ length: peerProcesses }, (_, n) => {
    const args = [
      'scripts/bench-client.mjs',
      'peers',
      String(port),
      secret,
      String(n * perProcess),
      String(perProcess),
      unsealed ? 'unsealed' : 'sealed',
    ];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
  });
  await Promise.all(children.map(({ lines }) => next(lines, 'connected')));
  for (const { child } of children) child.stdin.write('fill\n');
  const fillTimes = await Promise.all(children.map(async ({ lines }) => Number((await next(lines, 'ready'))[0])));
  return {
    fillMs: Math.max(...fillTimes),
    async send(index) {
      const { child, lines } = children[Math.floor((index % peerCount) / perProcess)]!;
      child.stdin.write(`send ${index}\n`);
      return Number((await next(lines, 'sent'))[1]);
    },
    stop: () => children.forEach(({ child }) => child.kill()),
  };
}

interface Newcomer {
  totalMs: number;
  /** The script paths the page requested up to then. */
  scripts: string[];
  connectedMs: number;
  firstHistoryMs: number;
  held: number;
}

type StorageState = Exclude<PersonOptions['storageState'], string | undefined>;

/** What storageState({ indexedDB: true }) adds to each origin, which Playwright's types leave out. */
interface WithIndexedDb {
  indexedDB?: { stores: { records: { key?: unknown; value?: unknown }[] }[] }[];
}

/**
 * The storage of a reader who set "Show formatting" in the Settings dialog,
 * on the relay's origin, so a newcomer can start with it as a returning reader
 * would. Both settings are saved the same way (turned the other way first), so
 * newcomers with formatting on and off differ in nothing else.
 */
async function formattingStorage(browser: TestBrowser, httpUrl: string, on: boolean): Promise<StorageState> {
  const page = await browser.person();
  await createRoom(page, httpUrl);
  await page.getByRole('button', { name: 'Settings' }).click();
  const box = page.getByRole('checkbox', { name: 'Show formatting' });
  await box.setChecked(!on);
  await box.setChecked(on);
  // Saving is asynchronous: wait until the storage holds the choice.
  const deadline = Date.now() + 5000;
  for (;;) {
    const state = await page.context().storageState({ indexedDB: true });
    const records = state.origins.flatMap((origin) =>
      ((origin as WithIndexedDb).indexedDB ?? []).flatMap((db) => db.stores.flatMap((store) => store.records)),
    );
    if (records.some((record) => record.key === 'formatting' && record.value === on)) {
      await page.close();
      return state;
    }
    if (Date.now() > deadline) throw new Error('the formatting preference was not stored');
    await sleep(50);
  }
}

async function newcomer(
  browser: TestBrowser,
  link: string,
  storageState?: StorageState,
): Promise<Newcomer & { page: Page }> {
  const page = await browser.person({ storageState });
  // Milestones seen from the page itself: connected, first history drawn.
  await page.addInitScript(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { milestones: typeof seen }).milestones = seen;
    new MutationObserver(() => {
      if (!seen.connected && document.querySelector('.status.connected')) seen.connected = performance.now();
      if (!seen.firstHistory && document.querySelector('.msg')) seen.firstHistory = performance.now();
    }).observe(document, { childList: true, subtree: true, attributes: true });
  });
  await page.goto(link);
  // Everything held: the peers' messages plus the newcomer's own "you joined" line.
  await page.waitForFunction(
    (count) => Number(document.querySelector('.messages')?.getAttribute('data-total')) >= count,
    totalMessages + 1,
    { polling: 'raf', timeout: 60_000 },
  );
  const totalMs = await page.evaluate(
    () => new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now()))),
  );
  const seen = await page.evaluate(() => (window as unknown as { milestones: Record<string, number> }).milestones);
  const held = Number(await page.locator('.messages').getAttribute('data-total')) - 1;
  const scripts = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((entry) => new URL(entry.name).pathname)
      .filter((path) => path.endsWith('.js')),
  );
  return { page, totalMs, scripts, connectedMs: seen.connected!, firstHistoryMs: seen.firstHistory!, held };
}

/** Where scripts/bench-client.mjs builds the baseline client. */
const unsealedClientDir = 'dist/client-unsealed';

interface FilledRoom {
  httpUrl: string;
  link: string;
  fillMs: number;
  peers: Awaited<ReturnType<typeof startPeers>>;
  stop(): Promise<void>;
}

/**
 * A relay and 20 peers holding 10,000 messages; `unsealed`: peers that do not
 * seal, and a relay serving the baseline build that does not either.
 */
async function filledRoom(unsealed: boolean): Promise<FilledRoom> {
  // Rate limiting off, as documented for benchmarks: the peers fill the room quickly.
  const relay = await startRelay(unsealed ? { RATE_LIMIT: '0', CLIENT_DIR: unsealedClientDir } : { RATE_LIMIT: '0' });
  const secret = newRoomSecret();
  const peers = await startPeers(relay.port, secret, unsealed);
  return {
    httpUrl: relay.httpUrl,
    link: `${relay.httpUrl}/#${secret}`,
    fillMs: peers.fillMs,
    peers,
    stop: async () => {
      peers.stop();
      await relay.stop();
    },
  };
}

/** Median, min and max of whole milliseconds. */
function spread(ms: readonly number[]): string {
  return `median ${Math.round(median(ms))} ms, min ${Math.round(Math.min(...ms))}, max ${Math.round(Math.max(...ms))}`;
}

/** Median and 95th percentile, to a tenth of a millisecond. */
function liveSpread(ms: readonly number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${median(sorted).toFixed(1)} ms, p95 ${quantile(sorted, 0.95).toFixed(1)} ms`;
}

/** How much longer `with` takes than `without`, by their medians. */
function added(withIt: readonly number[], without: readonly number[]): string {
  return `${((median(withIt) / median(without) - 1) * 100).toFixed(1)} %`;
}

function printRows(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\nonetimechat client benchmark (${new Date().toISOString()})`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
}

/** The whole benchmark, or with `only` "files" just the file transfers. */
export async function main(only?: string): Promise<void> {
  if (only === 'files') return printRows(await fileTransferRows());
  const browser = await launchBrowser();
  const baseline = await filledRoom(true);
  const room = await filledRoom(false);
  const peers = room.peers;
  try {
    const fillMs = room.fillMs;

    // Newcomers, one after another, taking turns between the baseline room and the sealed one with formatting on
    // and off, so that a change in the shared machine's load weighs on all alike: from navigation to the whole
    // history merged and the newest drawn. Formatting is the reader's stored preference, as people set it.
    const formattingOn = await formattingStorage(browser, room.httpUrl, true);
    const formattingOff = await formattingStorage(browser, room.httpUrl, false);
    const rounds: Newcomer[] = [];
    const plainRounds: Newcomer[] = [];
    const unsealedMs: number[] = [];
    let last: (Newcomer & { page: Page }) | undefined;
    let lastPlain: (Newcomer & { page: Page }) | undefined;
    for (let round = 0; round < newcomerRounds; round++) {
      const unsealed = await newcomer(browser, baseline.link);
      if (unsealed.held !== totalMessages) throw new Error(`the baseline newcomer holds ${unsealed.held} messages`);
      unsealedMs.push(unsealed.totalMs);
      await unsealed.page.close();
      await lastPlain?.page.close();
      lastPlain = await newcomer(browser, room.link, formattingOff);
      if (lastPlain.held !== totalMessages)
        throw new Error(`the unformatted newcomer holds ${lastPlain.held} messages`);
      plainRounds.push(lastPlain);
      await last?.page.close();
      last = await newcomer(browser, room.link, formattingOn);
      rounds.push(last);
    }
    await baseline.stop();
    const { page } = last!;
    const plainPage = lastPlain!.page;
    const newcomerMs = rounds.map((round) => round.totalMs);
    const plainMs = plainRounds.map((round) => round.totalMs);
    const held = last!.held;
    const drawn = await page.evaluate(() => document.getElementsByClassName('msg').length);

    // Scrolling back: drawing the next 150 older messages.
    const earlierMs = await page.evaluate(async () => {
      const started = performance.now();
      document.querySelector<HTMLButtonElement>('.earlier')!.click();
      await new Promise((resolve) => requestAnimationFrame(resolve));
      return performance.now() - started;
    });
    await page.evaluate(() => document.querySelector('.scroller')!.scrollTo({ top: 1e9 }));

    // A new message from a peer, with 10,000 on screen, seen by the newcomers with formatting on and off at once:
    // time from send to the DOM, and what it touched.
    const watched = [page, plainPage];
    for (const each of watched) {
      await each.evaluate(() => {
        const list = document.querySelector('.messages')!;
        const record: { at: number; nodes: number }[] = [];
        (window as unknown as { arrivals: typeof record }).arrivals = record;
        new MutationObserver((mutations) => {
          const elements = (nodes: NodeList): number => [...nodes].filter((node) => node.nodeType === 1).length;
          const nodes = mutations.reduce((sum, m) => sum + elements(m.addedNodes) + elements(m.removedNodes), 0);
          record.push({ at: performance.timeOrigin + performance.now(), nodes });
        }).observe(list, { childList: true });
      });
    }
    const sentAt: number[] = [];
    for (let i = 0; i < liveSamples; i++) {
      sentAt.push(await peers.send(i));
      await sleep(100);
    }
    const seenBy = (): Promise<{ at: number; nodes: number }[][]> =>
      Promise.all(
        watched.map((each) =>
          each.evaluate(() => (window as unknown as { arrivals: { at: number; nodes: number }[] }).arrivals),
        ),
      );
    const deadline = Date.now() + 30_000;
    let [arrivals, plainArrivals] = await seenBy();
    while (arrivals!.length < liveSamples || plainArrivals!.length < liveSamples) {
      if (Date.now() > deadline) {
        throw new Error(
          `of ${liveSamples} live messages, ${arrivals!.length} reached the list with formatting on, ${plainArrivals!.length} with it off`,
        );
      }
      await sleep(100);
      [arrivals, plainArrivals] = await seenBy();
    }
    const latencyOf = (seen: { at: number }[]): number[] =>
      seen.slice(0, liveSamples).map((arrival, i) => arrival.at - sentAt[i]!);
    const latencies = latencyOf(arrivals!);
    const plainLatencies = latencyOf(plainArrivals!);
    const nodesPerMessage = median(arrivals!.map((arrival) => arrival.nodes));
    await plainPage.close();

    // Typing and sending with 10,000 on screen: Enter to the message being drawn.
    const ownMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      ownMs.push(
        await page.evaluate(async (text) => {
          const box = document.querySelector<HTMLTextAreaElement>('#message-box')!;
          box.value = text;
          box.dispatchEvent(new Event('input', { bubbles: true }));
          const started = performance.now();
          box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
          await new Promise<void>((resolve) => {
            const check = (): void => {
              const last = document.querySelector('.messages')!.lastElementChild;
              if (last?.textContent?.includes(text)) resolve();
              else requestAnimationFrame(check);
            };
            check();
          });
          return performance.now() - started;
        }, `own message ${i}`),
      );
    }

    const rows: [string, string][] = [
      ...scriptRows(last!.scripts),
      ['room filled by the peers', `${totalMessages} messages from ${peerCount} peers in ${fillMs} ms`],
      [
        `newcomer: page load to whole history held and drawn (${newcomerRounds} newcomers, formatting on)`,
        `${spread(newcomerMs)} (target < 1000 ms)`,
      ],
      [
        '  the same with formatting off (newcomers taking turns, same run)',
        `${spread(plainMs)}; formatting adds ${added(newcomerMs, plainMs)} (target < 10 %)`,
      ],
      [
        '  the same without sealing (baseline build and peers, same run)',
        `${spread(unsealedMs)}; sealing adds ${added(newcomerMs, unsealedMs)} (target < 15 %)`,
      ],
      [
        '  of which: connected / first history drawn (medians)',
        `${Math.round(median(rounds.map((r) => r.connectedMs)))} ms / ${Math.round(median(rounds.map((r) => r.firstHistoryMs)))} ms`,
      ],
      ['newcomer holds / draws', `${held} messages / newest ${drawn}`],
      ['drawing 150 earlier messages (scrolling back)', `${earlierMs.toFixed(1)} ms`],
      ['new message from a peer, send to on screen (formatting on)', liveSpread(latencies)],
      [
        '  the same messages with formatting off (same run)',
        `${liveSpread(plainLatencies)}; formatting adds ${added(latencies, plainLatencies)} (target < 10 %)`,
      ],
      ['list elements added or removed per new message', `${nodesPerMessage}`],
      [
        'own message, Enter to on screen',
        `median ${median(ownMs).toFixed(1)} ms, max ${Math.max(...ownMs).toFixed(1)} ms`,
      ],
    ];
    if (held !== totalMessages) throw new Error(`the newcomer holds ${held} messages, expected ${totalMessages}`);
    return printRows([...rows, ...(await fileTransferRows())]);
  } finally {
    await baseline.stop();
    await room.stop();
    await browser.close();
  }
}
