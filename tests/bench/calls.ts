// `npm run bench:call`: calls in real Chromium through the real relay, on
// loopback with the fake camera and microphone.
//  - setup: from pressing Join to the first decoded frame of each remote
//    video, for 2 and for 4 participants, median over several rounds;
//  - the CPU a 4-person call costs each browser and the upload of each
//    sender, with the bitrate budget on, and off (the page's
//    RTCRtpSender.setParameters ignored, so the browser picks the bitrate).
// Each participant is a browser of its own, as in a real call.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { createRoom, launchBrowser, mediaArgs, openRoom, type TestBrowser } from '../support/browser.ts';
import { bytesSent, joinCall, recordConnections, startCall } from '../support/calls.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';
import { sleep } from '../support/wait.ts';
import { median } from './stats.ts';

const setupRounds = 7;
const loadWindowMs = 10_000;
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;

/** What "budget off" means: every encoding change the page asks for is ignored. */
function ignoreEncodingChanges(): void {
  RTCRtpSender.prototype.setParameters = () => Promise.resolve();
}

/**
 * Presses Join (or Call) and resolves with the milliseconds until the first
 * frame of the first and of the last of `remotes` remote videos is decoded.
 */
function timeJoin(page: Page, button: string, remotes: number): Promise<{ first: number; all: number }> {
  return page.evaluate(
    async ({ button, remotes }) => {
      const decoded = (): number =>
        [...document.querySelectorAll<HTMLVideoElement>('.call-tile.person video')].filter(
          (video) => video.videoWidth > 0,
        ).length;
      const join = [...document.querySelectorAll('button')].find((element) => element.textContent?.trim() === button);
      if (!join) throw new Error(`no ${button} button`);
      const start = performance.now();
      join.click();
      let first = 0;
      while (performance.now() - start < 20_000) {
        await new Promise(requestAnimationFrame);
        const count = decoded();
        if (count > 0 && first === 0) first = performance.now() - start;
        if (count >= remotes) return { first, all: performance.now() - start };
      }
      throw new Error(`only ${decoded()} of ${remotes} remote videos within 20 s`);
    },
    { button, remotes },
  );
}

interface Participants {
  pages: Page[];
  browsers: TestBrowser[];
}

async function participants(relay: RunningRelay, count: number, budget: boolean): Promise<Participants> {
  const browsers = await Promise.all(Array.from({ length: count }, () => launchBrowser(mediaArgs)));
  const pages = await Promise.all(browsers.map((browser) => browser.person()));
  for (const page of pages) {
    await page.addInitScript(recordConnections);
    if (!budget) await page.addInitScript(ignoreEncodingChanges);
  }
  const link = await createRoom(pages[0]!, relay.httpUrl);
  await Promise.all(pages.slice(1).map((page) => openRoom(page, link)));
  return { pages, browsers };
}

async function closeAll({ browsers }: Participants): Promise<void> {
  await Promise.all(browsers.map((browser) => browser.close()));
}

/** Rounds of `count` people: all but the last in the call, the last one's Join timed. */
async function setupTimes(relay: RunningRelay, count: number): Promise<{ first: number[]; all: number[] }> {
  const first: number[] = [];
  const all: number[] = [];
  for (let round = 0; round < setupRounds; round++) {
    const call = await participants(relay, count, true);
    const [starter, ...rest] = call.pages;
    const joiner = rest.pop()!;
    await startCall(starter!);
    for (const page of rest) await joinCall(page);
    await sleep(1000); // the others' connections settle first
    const time = await timeJoin(joiner, 'Join', count - 1);
    first.push(time.first);
    all.push(time.all);
    await closeAll(call);
  }
  return { first, all };
}

/** Seconds of CPU (user and system) every Chromium process on the machine has used so far. */
function chromiumCpuSeconds(): number {
  let ticks = 0;
  for (const pid of execFileSync('pgrep', ['-f', 'chromium']).toString().trim().split('\n')) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return ticks / clockTicks;
}

/** A 4-person call held for a while: CPU per browser (share of one core) and upload per sender (bit/s). */
async function callLoad(relay: RunningRelay, budget: boolean): Promise<{ cpu: number; upload: number }> {
  const call = await participants(relay, 4, budget);
  await startCall(call.pages[0]!);
  for (const page of call.pages.slice(1)) await joinCall(page);
  await sleep(5000); // bitrates ramp up and settle
  const cpuBefore = chromiumCpuSeconds();
  const sentBefore = await Promise.all(call.pages.map(bytesSent));
  const start = performance.now();
  await sleep(loadWindowMs);
  const seconds = (performance.now() - start) / 1000;
  const cpu = (chromiumCpuSeconds() - cpuBefore) / seconds / call.pages.length;
  const sentAfter = await Promise.all(call.pages.map(bytesSent));
  const upload = median(sentAfter.map((after, index) => ((after - sentBefore[index]!) * 8) / seconds));
  await closeAll(call);
  return { cpu, upload };
}

const ms = (values: number[]): string =>
  `median ${Math.round(median(values))} ms (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})`;

export async function main(): Promise<void> {
  const relay = await startRelay();
  try {
    const two = await setupTimes(relay, 2);
    const four = await setupTimes(relay, 4);
    const on = await callLoad(relay, true);
    const off = await callLoad(relay, false);
    const load = (value: { cpu: number; upload: number }): string =>
      `${Math.round(value.cpu * 100)} % of a core per browser, upload ${Math.round(value.upload / 1000)} kbit/s per sender`;
    const rows: [string, string][] = [
      ['2 people: Join to first remote frame (target 1 s)', ms(two.first)],
      ['4 people: Join to first remote frame', ms(four.first)],
      ['4 people: Join to all 3 remote frames (target 1.5 s)', ms(four.all)],
      ['4-person call, budget on', load(on)],
      ['4-person call, budget off', load(off)],
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    console.log(
      `calls on loopback, ${setupRounds} rounds each, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
    );
    for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
  } finally {
    await relay.stop();
  }
}
