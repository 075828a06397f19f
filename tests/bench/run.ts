// `npm run bench`: every scenario on every relay, in alternation, several
// rounds; prints the report and writes bench/results/latest.{md,json}.
// For quicker runs:
//   BENCH_ONLY=fanout,rooms50x20,rooms200x3,latency,newcomer,idle   scenarios
//   BENCH_RELAYS=onetimechat,uws-ceiling,ws,socketio,onetimechat-redis
//     relays (the last: two onetimechat relays sharing rooms through Redis);
//     also onetimechat-metrics (METRICS_PORT set), and with BENCH_BASELINE=<dir
//     of another checkout, built> baseline and baseline-redis: that build
//     measured in the same run, for before and after
//   BENCH_ROUNDS=3   rounds of each scenario (idle capacity is measured once)
import { mkdirSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { Generator } from './generator.ts';
import { idleCapacity } from './idle.ts';
import { cpuMs, relayFileLimit } from './proc.ts';
import type { LoadResult } from './load.ts';
import type { NewcomerResult, SyncMode } from './newcomer.ts';
import { allSetups, defaultSetups, isAvailable, startSetup, type Setup } from './relays.ts';
import {
  describeMachine,
  renderReport,
  type BenchResults,
  type IdleRun,
  type LoadRun,
  type NewcomerRun,
} from './report.ts';
import {
  appliesTo,
  idleConnections,
  idleConnectionsOnetimechat,
  loadScenarios,
  newcomerPlan,
  scenarioNames,
  type LoadScenario,
  type ScenarioName,
} from './scenarios.ts';

const joinTimeoutMs = 60_000;
/** A round ends by itself at most its stall time after sending stops; past this, it hangs. */
const roundSlackMs = 30_000;

function listFromEnv<T extends string>(name: string, all: readonly T[]): T[] {
  const raw = process.env[name];
  if (!raw) return [...all];
  const picked = raw.split(',').map((item) => item.trim());
  const unknown = picked.filter((item) => !all.includes(item as T));
  if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')}; known: ${all.join(', ')}`);
  return picked as T[];
}

/** Each round starts with a different relay, so none always runs first on a machine that drifts. */
function rotated<T>(items: T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function loadRound(generator: Generator, scenario: LoadScenario, setup: Setup): Promise<LoadRun> {
  const running = await startSetup(setup);
  try {
    const plan = scenario.plan(setup.transport, running.ports);
    await generator.prepare(plan, joinTimeoutMs);
    const generatorPid = generator.pid!;
    const before = { ...running.cpu(), generator: cpuMs(generatorPid) };
    const result = await generator.go<LoadResult>(plan.drive.durationMs + roundSlackMs);
    const after = { ...running.cpu(), generator: cpuMs(generatorPid) };
    return {
      setup: setup.name,
      ...result,
      relayCpuMs: after.relays - before.relays,
      redisCpuMs: after.redis - before.redis,
      generatorCpuMs: after.generator - before.generator,
    };
  } finally {
    await running.stop();
  }
}

async function newcomerRound(generator: Generator, setup: Setup): Promise<NewcomerRun[]> {
  const running = await startSetup(setup);
  try {
    const runs: NewcomerRun[] = [];
    for (const mode of ['targeted', 'rebroadcast'] satisfies SyncMode[]) {
      const plan = newcomerPlan(setup.transport, running.ports[0]!, mode);
      await generator.prepare(plan, joinTimeoutMs);
      const before = running.cpu().relays;
      const result = await generator.go<NewcomerResult>(plan.newcomers * 2 * plan.timeoutMs + 10_000);
      runs.push({ setup: setup.name, mode, ...result, relayCpuMs: running.cpu().relays - before });
    }
    return runs;
  } finally {
    await running.stop();
  }
}

async function idleRound(setup: Setup, connections: number): Promise<IdleRun> {
  const running = await startSetup(setup);
  try {
    const measured = await idleCapacity({
      port: running.ports[0]!,
      pid: running.relayPids[0]!,
      connections,
      transport: setup.transport,
    });
    return { setup: setup.name, requested: connections, ...measured };
  } finally {
    await running.stop();
  }
}

/**
 * 10,000 and 50,000; where the host caps open files below 50,000 (a container
 * without CAP_SYS_RESOURCE), the 50,000 round fails saying so, and the most
 * the cap allows is measured too.
 */
function onetimechatIdleCounts(): number[] {
  const hostMost = Math.floor((relayFileLimit - 1000) / 1000) * 1000;
  const counts = [idleConnections, idleConnectionsOnetimechat];
  return hostMost < idleConnectionsOnetimechat ? [...counts, hostMost] : counts;
}

/** Runs `round`, recording a failure or timeout as the round's result instead of ending the benchmark. */
async function attempt<T>(what: string, round: () => Promise<T>): Promise<T | { error: string }> {
  const startedAt = Date.now();
  try {
    const result = await round();
    console.error(`  ${what}: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    console.error(`  ${what}: FAILED ${errorText(error)}`);
    return { error: errorText(error) };
  }
}

export async function main(): Promise<void> {
  const scenarios = listFromEnv<ScenarioName>('BENCH_ONLY', scenarioNames);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('BENCH_ROUNDS must be from 1 to 20');
  const wanted = process.env.BENCH_RELAYS
    ? listFromEnv(
        'BENCH_RELAYS',
        allSetups.map((setup) => setup.name),
      )
    : defaultSetups;
  const missing = allSetups.filter((setup) => wanted.includes(setup.name) && !isAvailable(setup));
  for (const setup of missing)
    console.error(`onetimechat bench: ${setup.script} is missing; ${setup.label} is skipped`);
  const setups = allSetups.filter((setup) => wanted.includes(setup.name) && isAvailable(setup));
  const results: BenchResults = {
    machine: describeMachine(),
    startedAt: new Date().toISOString(),
    finishedAt: '',
    rounds,
    scenarios,
    setups: setups.map(({ name, label }) => ({ name, label })),
    load: [],
    newcomer: [],
    idle: [],
  };
  const generator = new Generator();
  try {
    for (const scenario of loadScenarios.filter((s) => scenarios.includes(s.name))) {
      console.error(`${scenario.title}`);
      for (let round = 0; round < rounds; round++) {
        for (const setup of rotated(setups, round).filter((s) => appliesTo(scenario.name, s.name))) {
          const run = await attempt(`round ${round + 1}, ${setup.label}`, () => loadRound(generator, scenario, setup));
          results.load.push({
            scenario: scenario.name,
            round,
            ...('error' in run ? { setup: setup.name, ...run } : run),
          });
        }
      }
    }
    if (scenarios.includes('newcomer')) {
      console.error('newcomer sync');
      for (let round = 0; round < rounds; round++) {
        for (const setup of rotated(setups, round).filter((s) => appliesTo('newcomer', s.name))) {
          const runs = await attempt(`round ${round + 1}, ${setup.label}`, () => newcomerRound(generator, setup));
          if ('error' in runs) results.newcomer.push({ setup: setup.name, error: runs.error });
          else results.newcomer.push(...runs);
        }
      }
    }
    if (scenarios.includes('idle')) {
      console.error('idle capacity');
      for (const setup of setups.filter((s) => appliesTo('idle', s.name))) {
        const counts = setup.name === 'onetimechat' ? onetimechatIdleCounts() : [idleConnections];
        for (const connections of counts) {
          const run = await attempt(`${setup.label}, ${connections} idle`, () => idleRound(setup, connections));
          results.idle.push('error' in run ? { setup: setup.name, requested: connections, ...run } : run);
        }
      }
    }
  } finally {
    generator.stop();
  }
  results.finishedAt = new Date().toISOString();
  results.machine.loadAverageEnd = describeMachine().loadAverageStart;
  await writeResults(results);
}

/** Prints the report and writes it, formatted as the repository's own files are, so they can be committed as is. */
async function writeResults(results: BenchResults): Promise<void> {
  const files = { markdown: 'bench/results/latest.md', json: 'bench/results/latest.json' };
  const markdown = await format(renderReport(results), {
    ...(await resolveConfig(files.markdown)),
    parser: 'markdown',
  });
  console.log(markdown);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(files.markdown, markdown);
  writeFileSync(
    files.json,
    await format(JSON.stringify(results), { ...(await resolveConfig(files.json)), parser: 'json' }),
  );
}
