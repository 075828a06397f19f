// Turns the rounds into medians, the targets into met / not met, and
// both into Markdown.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { LoadResult } from './load.ts';
import type { NewcomerResult, SyncMode } from './newcomer.ts';
import { generatorCpu, relayCpu } from './proc.ts';
import { withRedis, type SetupName } from './relays.ts';
import { newcomerPeers, type ScenarioName } from './scenarios.ts';
import { median, ratio } from './stats.ts';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  uws: string;
  loadAverageStart: string;
  loadAverageEnd: string;
  /** The commit measured, and whether the relay's code differed from it. */
  revision: string;
}

export interface Failed {
  error: string;
}
export interface LoadRun extends LoadResult {
  setup: SetupName;
  relayCpuMs: number;
  redisCpuMs: number;
  /** Shows whether the generator, not the relay, set the pace. */
  generatorCpuMs: number;
}
export type LoadRecord = (LoadRun | (Failed & { setup: SetupName })) & { scenario: ScenarioName; round: number };
export interface NewcomerRun extends NewcomerResult {
  setup: SetupName;
  mode: SyncMode;
  /** Over all the run's joins. */
  relayCpuMs: number;
}
export interface IdleRun {
  setup: SetupName;
  requested: number;
  connections: number;
  rssKiBBefore: number;
  rssKiBAfter: number;
  bytesPerConnection: number;
}

export interface BenchResults {
  machine: Machine;
  startedAt: string;
  finishedAt: string;
  rounds: number;
  scenarios: ScenarioName[];
  setups: { name: SetupName; label: string }[];
  load: LoadRecord[];
  newcomer: (NewcomerRun | (Failed & { setup: SetupName }))[];
  idle: (IdleRun | (Failed & { setup: SetupName; requested: number }))[];
}

export function describeMachine(): Machine {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const uwsPackage = JSON.parse(readFileSync('node_modules/uWebSockets.js/package.json', 'utf8')) as {
    name: string;
    version: string;
  };
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  return {
    cpu: cpuModel,
    cores: cpus().length,
    node: process.version,
    uws: `${uwsPackage.version} (${uwsPackage.name})`,
    loadAverageStart: load,
    loadAverageEnd: load,
    revision: revision(),
  };
}

function revision(): string {
  const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8' }).trim();
  try {
    const changed = git('status', '--porcelain', '--', 'relay', 'protocol') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? ' with uncommitted changes to relay/ or protocol/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Medians over a scenario's successful rounds on one relay. */
export interface LoadSummary {
  rounds: number;
  failed: number;
  timedOut: number;
  /** Deliveries missing, summed over rounds. */
  lost: number;
  deliveriesPerSecond: number;
  /** Relay CPU (plus Redis where there is one) per 1,000 deliveries, in µs. */
  cpuPer1000: number;
  /** The lowest and highest of the rounds, for the spread a noisy machine gives. */
  cpuRange: [number, number];
  redisPer1000: number;
  /** Share of the round the generator spent on CPU: near 1, it set the pace. */
  generatorBusy: number;
  p50: number;
  p99: number;
  max: number;
}

const perThousand = (cpuMs: number, deliveries: number): number => (cpuMs * 1e6) / deliveries;

export function summarizeLoad(records: LoadRecord[], scenario: ScenarioName, setup: SetupName): LoadSummary {
  const mine = records.filter((r) => r.scenario === scenario && r.setup === setup);
  const ok = mine.filter((r): r is LoadRecord & LoadRun => !('error' in r) && r.deliveries > 0);
  const cpus = ok.map((r) => perThousand(r.relayCpuMs + r.redisCpuMs, r.deliveries));
  const ms = (pick: (latency: NonNullable<LoadRun['latency']>) => number): number =>
    median(ok.map((r) => (r.latency ? pick(r.latency) / 1000 : NaN)));
  return {
    rounds: ok.length,
    failed: mine.length - ok.length,
    timedOut: ok.filter((r) => r.timedOut).length,
    lost: ok.reduce((sum, r) => sum + r.expected - r.deliveries, 0),
    deliveriesPerSecond: median(ok.map((r) => (r.deliveries * 1000) / r.elapsedMs)),
    cpuPer1000: median(cpus),
    cpuRange: [Math.min(...cpus), Math.max(...cpus)],
    redisPer1000: median(ok.map((r) => perThousand(r.redisCpuMs, r.deliveries))),
    generatorBusy: median(ok.map((r) => r.generatorCpuMs / r.elapsedMs)),
    p50: ms((l) => l.p50),
    p99: ms((l) => l.p99),
    max: ms((l) => l.max),
  };
}

export interface NewcomerSummary {
  joins: number;
  incomplete: number;
  ms: number;
  frames: number;
  bytes: number;
  historyBytes: number;
  deliveries: number;
  relayCpuMsPerJoin: number;
}

export function summarizeNewcomer(results: BenchResults, setup: SetupName, mode: SyncMode): NewcomerSummary {
  const runs = results.newcomer.filter(
    (r): r is NewcomerRun => !('error' in r) && r.setup === setup && r.mode === mode,
  );
  const joins = runs.flatMap((run) => run.joins);
  return {
    joins: joins.length,
    incomplete: joins.filter((join) => join.timedOut).length,
    ms: median(joins.map((join) => join.ms)),
    frames: median(joins.map((join) => join.frames)),
    bytes: median(joins.map((join) => join.bytes)),
    historyBytes: runs[0]?.historyBytes ?? NaN,
    deliveries: median(joins.map((join) => join.deliveries)),
    relayCpuMsPerJoin: median(runs.map((run) => run.relayCpuMs / run.joins.length)),
  };
}

export interface Target {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const times = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');

/** `met` when `value` exists and `holds` for it; unknown when it was not measured. */
function target(text: string, value: number, measured: string, holds: (value: number) => boolean): Target {
  return { target: text, measured, met: Number.isFinite(value) ? holds(value) : undefined };
}

export function evaluateTargets(results: BenchResults): Target[] {
  const cpu = (scenario: ScenarioName, setup: SetupName): number =>
    summarizeLoad(results.load, scenario, setup).cpuPer1000;
  const targets: Target[] = [];
  const ceilingLimits: [ScenarioName, number, number][] = [
    ['fanout', 1.25, 6],
    ['rooms50x20', 1.25, 6],
    ['rooms200x3', 1.5, 1.8],
  ];
  for (const [scenario, toCeiling, toOthers] of ceilingLimits) {
    if (!results.scenarios.includes(scenario)) continue;
    const own = cpu(scenario, 'onetimechat');
    const vsCeiling = ratio(own, cpu(scenario, 'uws-ceiling'));
    targets.push(
      target(
        `${scenario}: relay CPU per delivery ≤ ${toCeiling}× the uWS ceiling`,
        vsCeiling,
        times(vsCeiling),
        (v) => v <= toCeiling,
      ),
    );
    for (const other of ['ws', 'socketio'] as const) {
      const less = ratio(cpu(scenario, other), own);
      targets.push(
        target(
          `${scenario}: ≥ ${toOthers}× less relay CPU per delivery than ${other}`,
          less,
          times(less),
          (v) => v >= toOthers,
        ),
      );
    }
  }
  if (results.scenarios.includes('latency')) {
    const own = summarizeLoad(results.load, 'latency', 'onetimechat');
    const ceiling = summarizeLoad(results.load, 'latency', 'uws-ceiling');
    const vsCeiling = ratio(own.p99, ceiling.p99);
    targets.push(
      target(
        'latency: p99 ≤ 1.5× the uWS ceiling p99',
        vsCeiling,
        `${times(vsCeiling)} (${own.p99.toFixed(2)} vs ${ceiling.p99.toFixed(2)} ms)`,
        (v) => v <= 1.5,
      ),
      target('latency: p99 < 5 ms', own.p99, `${own.p99.toFixed(2)} ms`, (v) => v < 5),
    );
  }
  if (results.scenarios.includes('newcomer')) {
    const targeted = summarizeNewcomer(results, 'onetimechat', 'targeted');
    const rebroadcast = summarizeNewcomer(results, 'onetimechat', 'rebroadcast');
    const bytes = ratio(targeted.bytes, targeted.historyBytes);
    const fewer = ratio(rebroadcast.deliveries, targeted.deliveries);
    targets.push(
      target('newcomer: bytes received ≤ 1.1× the history', bytes, times(bytes), (v) => v <= 1.1),
      target(
        `newcomer: ≥ ${newcomerPeers}× fewer deliveries than re-broadcast`,
        fewer,
        times(fewer),
        (v) => v >= newcomerPeers,
      ),
    );
  }
  if (results.scenarios.includes('idle')) {
    const idle = results.idle.filter((r): r is IdleRun => !('error' in r) && r.setup === 'onetimechat');
    // The largest of the measurements, to be safe.
    const perConnection = idle.length > 0 ? Math.max(...idle.map((r) => r.bytesPerConnection)) / 1000 : NaN;
    const most = Math.max(0, ...idle.map((r) => r.connections));
    const refused = results.idle.find((r) => 'error' in r && r.setup === 'onetimechat');
    const why =
      refused && 'error' in refused
        ? ` (${refused.requested.toLocaleString('en-US')} failed: ${firstClause(refused.error)})`
        : '';
    targets.push(
      target(
        'idle: ≤ 4 KB relay memory per connection',
        perConnection,
        `${perConnection.toFixed(2)} KB`,
        (v) => v <= 4,
      ),
      target('idle: 50,000 connections held', most, `${most.toLocaleString('en-US')} held${why}`, (v) => v >= 50_000),
    );
  }
  return targets;
}

const number = (value: number, digits = 0): string =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function loadTable(results: BenchResults): string {
  const rows: string[][] = [];
  for (const scenario of results.scenarios) {
    if (!results.load.some((r) => r.scenario === scenario)) continue;
    const ceiling = summarizeLoad(results.load, scenario, 'uws-ceiling').cpuPer1000;
    const own = summarizeLoad(results.load, scenario, 'onetimechat').cpuPer1000;
    for (const { name, label } of results.setups) {
      const s = summarizeLoad(results.load, scenario, name);
      if (s.rounds + s.failed === 0) continue;
      const spread = s.rounds > 1 ? `${number(s.cpuRange[0])}–${number(s.cpuRange[1])}` : '';
      const redis = withRedis(name) ? `Redis ${number(s.redisPer1000)}` : '';
      const detail = [spread, redis].filter(Boolean).join('; ');
      const cpu = detail ? `${number(s.cpuPer1000)} (${detail})` : number(s.cpuPer1000);
      const latency = Number.isFinite(s.p50) ? `${number(s.p50, 2)} / ${number(s.p99, 2)} / ${number(s.max, 1)}` : '';
      const trouble = [
        s.lost > 0 ? `${s.lost} lost` : '',
        s.timedOut ? `${s.timedOut} timed out` : '',
        s.failed ? `${s.failed} failed` : '',
      ]
        .filter(Boolean)
        .join(', ');
      rows.push([
        scenario,
        label,
        number(s.deliveriesPerSecond),
        cpu,
        times(ratio(s.cpuPer1000, ceiling)),
        times(ratio(s.cpuPer1000, own)),
        latency,
        `${number(s.generatorBusy * 100)} %`,
        trouble || `${s.rounds} ok`,
      ]);
    }
  }
  return table(
    [
      'scenario',
      'relay',
      'deliveries/s',
      'relay CPU µs / 1,000 deliveries (range)',
      '× ceiling',
      '× onetimechat',
      'p50 / p99 / max ms',
      'generator CPU',
      'rounds',
    ],
    rows,
  );
}

function redisRow(scenario: ScenarioName, relay: SetupName, one: LoadSummary, two: LoadSummary): string[] {
  return [
    scenario,
    relay,
    number(one.cpuPer1000),
    number(two.cpuPer1000 - two.redisPer1000),
    number(two.redisPer1000),
    number((two.cpuPer1000 - one.cpuPer1000) / 1000, 2),
    times(ratio(two.cpuPer1000, one.cpuPer1000)),
  ];
}

function redisTable(results: BenchResults): string {
  const rows: string[][] = [];
  const pairs = [
    ['onetimechat', 'onetimechat-redis'],
    ['baseline', 'baseline-redis'],
  ] as const;
  for (const scenario of results.scenarios) {
    for (const [alone, shared] of pairs) {
      const two = summarizeLoad(results.load, scenario, shared);
      const one = summarizeLoad(results.load, scenario, alone);
      if (two.rounds === 0 || one.rounds === 0) continue;
      rows.push(redisRow(scenario, alone, one, two));
    }
  }
  return table(
    [
      'scenario',
      'build',
      'one relay: CPU µs / 1,000',
      'two relays: relays µs / 1,000',
      'redis-server µs / 1,000',
      'what Redis costs per delivery, µs (two relays − one)',
      'total vs one relay',
    ],
    rows,
  );
}

function newcomerTable(results: BenchResults): string {
  const rows: string[][] = [];
  for (const { name, label } of results.setups) {
    for (const mode of ['targeted', 'rebroadcast'] as const) {
      const s = summarizeNewcomer(results, name, mode);
      if (s.joins === 0) continue;
      rows.push([
        label,
        mode === 'targeted' ? 'unicast to the newcomer' : 're-broadcast (original)',
        number(s.ms, 1),
        number(s.frames),
        times(ratio(s.bytes, s.historyBytes)),
        number(s.deliveries),
        number(s.relayCpuMsPerJoin, 1),
        s.incomplete > 0 ? `${s.incomplete} of ${s.joins} incomplete` : `${s.joins} joins`,
      ]);
    }
  }
  return table(
    [
      'relay',
      'answers',
      'ms to hold all',
      'frames to newcomer',
      'bytes to newcomer / history',
      'deliveries in the room',
      'relay CPU ms per join',
      'joins',
    ],
    rows,
  );
}

/** The gist of an error, for a table cell; the whole text is in the JSON. */
function firstClause(text: string): string {
  return text.split(':')[0]!;
}

function idleTable(results: BenchResults): string {
  const label = (name: SetupName): string => results.setups.find((s) => s.name === name)?.label ?? name;
  const rows = results.idle.map((r) =>
    'error' in r
      ? [label(r.setup), number(r.requested), '–', `failed: ${firstClause(r.error)}`]
      : [
          label(r.setup),
          number(r.connections),
          number(r.bytesPerConnection / 1000, 2),
          `${number(r.rssKiBBefore)} → ${number(r.rssKiBAfter)} KiB RSS`,
        ],
  );
  return table(['relay', 'idle connections held', 'KB relay memory per connection', 'relay memory'], rows);
}

function targetsTable(results: BenchResults): string {
  const verdict = (met: boolean | undefined): string => (met === undefined ? 'not measured' : met ? 'met' : 'not met');
  return table(
    ['target', 'measured', ''],
    evaluateTargets(results).map((t) => [t.target, t.measured, verdict(t.met)]),
  );
}

export function machineLine(machine: Machine): string {
  return (
    `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, uWebSockets.js ${machine.uws}; ` +
    `load average ${machine.loadAverageStart} at start, ${machine.loadAverageEnd} at end; ` +
    `relays (and redis-server) pinned to CPU ${relayCpu}, load generator to CPU ${generatorCpu}`
  );
}

export function renderReport(results: BenchResults): string {
  const sections = [
    `## onetimechat relay benchmark, ${results.startedAt}`,
    `Machine: ${machineLine(results.machine)}. Code: ${results.machine.revision}. ` +
      `Medians of ${results.rounds} rounds; relays in alternation.`,
    loadTable(results),
    redisTable(results),
    newcomerTable(results),
    idleTable(results),
    '### Targets',
    targetsTable(results),
  ];
  return `${sections.filter(Boolean).join('\n\n')}\n`;
}
