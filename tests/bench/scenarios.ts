// What each scenario asks of the relays. Senders send for a fixed time, so a
// round takes as long on a slow relay as on a fast one, and even the fastest
// spends seconds of CPU a round: /proc counts CPU time in ticks of 10 ms.
import type { LoadPlan } from './load.ts';
import type { NewcomerPlan, SyncMode } from './newcomer.ts';
import { withRedis, type SetupName } from './relays.ts';
import type { TransportName } from './transport.ts';

export type ScenarioName = 'fanout' | 'rooms50x20' | 'rooms200x3' | 'latency' | 'newcomer' | 'idle';
export const scenarioNames: ScenarioName[] = ['fanout', 'rooms50x20', 'rooms200x3', 'latency', 'newcomer', 'idle'];

/** Bytes of a chat message's payload: a short message, encrypted and in base64url. */
const payloadBytes = 160;
/** How long the senders of a throughput round send. */
const loadDurationMs = 3_000;

export interface LoadScenario {
  kind: 'load';
  name: ScenarioName;
  title: string;
  plan(transport: TransportName, ports: number[]): LoadPlan;
}

/** `count` rooms of `size` peers; the peers of each room go to the relays in turn, senders too. */
function rooms(count: number, size: number, ports: number[]): LoadPlan['rooms'] {
  return Array.from({ length: count }, (_, r) => ({
    name: `bench-${count}x${size}-${r}`,
    ports: Array.from({ length: size }, (_, p) => ports[(r + p) % ports.length]!),
  }));
}

const throughput = (name: ScenarioName, title: string, roomCount: number, size: number): LoadScenario => ({
  kind: 'load',
  name,
  title,
  plan: (transport, ports) => ({
    kind: 'load',
    transport,
    rooms: rooms(roomCount, size, ports),
    payloadBytes,
    drive: { kind: 'window', window: 32, durationMs: loadDurationMs },
    stallMs: 5_000,
  }),
});

export const loadScenarios: LoadScenario[] = [
  throughput('fanout', 'fan-out: 1 room × 200 clients, one sender', 1, 200),
  throughput('rooms50x20', 'many rooms: 50 rooms × 20 clients, one sender each', 50, 20),
  throughput('rooms200x3', 'small rooms: 200 rooms × 3 clients, one sender each', 200, 3),
  {
    kind: 'load',
    name: 'latency',
    title: 'latency: 2,000 messages/s into 50 rooms × 20 (40,000 deliveries/s)',
    plan: (transport, ports) => ({
      kind: 'load',
      transport,
      rooms: rooms(50, 20, ports),
      payloadBytes,
      drive: { kind: 'rate', messagesPerSecond: 2_000, durationMs: 5_000 },
      stallMs: 5_000,
    }),
  },
];

export const newcomerPeers = 20;

export function newcomerPlan(transport: TransportName, port: number, mode: SyncMode): NewcomerPlan {
  return {
    kind: 'newcomer',
    transport,
    port,
    room: `bench-newcomer-${mode}`,
    peers: newcomerPeers,
    messages: 10_000,
    messageBytes: 200,
    maxPayload: 65_536,
    mode,
    newcomers: 5,
    timeoutMs: 20_000,
  };
}

/** Idle connections held on each relay, and on onetimechat's relay alone, to show what one machine holds. */
export const idleConnections = 10_000;
export const idleConnectionsOnetimechat = 50_000;

/** The relays each kind of scenario runs on; the two-relay setup runs the load scenarios only. */
export function appliesTo(scenario: ScenarioName, setup: SetupName): boolean {
  return !withRedis(setup) || (scenario !== 'newcomer' && scenario !== 'idle');
}
