// The Prometheus endpoint: prom-client metrics whose values are read from the
// relay's plain counters (counters.ts) and state at scrape time, so that the
// per-message path never calls into the library. It listens on its own port,
// by default on loopback only: on a small instance even counters can tell one
// room's activity, so they are never served on the public port.
//
// node:http rather than a second uWebSockets.js app: a scrape every few
// seconds needs no speed, and a separate server cannot share a route with
// the public one by mistake.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BucketCounts, RelayCounters } from './counters.ts';

/** What the relay is now, read at each scrape. */
export interface RelayState {
  socketsOpen(): number;
  /** Members of each room this relay knows, wherever they are connected. */
  roomSizes(): number[];
  /** Undefined when the relay runs without Redis. */
  redisConnected(): boolean | undefined;
}

const prefix = 'onetimechat_';

/** Room sizes: 1 alone, 2 a conversation, then groups up to the largest rooms allowed. */
const roomSizeBounds = [1, 2, 3, 5, 10, 20, 50, 100, 256, 1000];

type Labelled = Record<string, number>;

/** A counter whose value (or values, by label) is read from plain numbers at scrape time. */
function readCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name: prefix + name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function readLabelledCounter(registry: Registry, name: string, help: string, label: string, values: Labelled): void {
  new Counter({
    name: prefix + name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, count] of Object.entries(values)) this.inc({ [label]: value }, count);
    },
  });
}

function readGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name: prefix + name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** What the registry formats: prom-client's MetricObjectWithValues, whose type field its typings make an enum. */
interface HistogramValues {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: { metricName: string; labels: Record<string, string | number>; value: number }[];
}

/**
 * A histogram served from bucket counts kept elsewhere. prom-client's own
 * Histogram takes each observation through its API; this one only formats.
 */
function readHistogram(registry: Registry, name: string, help: string, read: () => BucketCounts): void {
  const fullName = prefix + name;
  const get = async (): Promise<HistogramValues> => {
    const counts = read();
    let cumulative = 0;
    const buckets = counts.bounds.map((bound, i) => {
      cumulative += counts.counts[i]!;
      return { metricName: `${fullName}_bucket`, labels: { le: bound }, value: cumulative };
    });
    return {
      name: fullName,
      help,
      type: 'histogram',
      aggregator: 'sum',
      values: [
        ...buckets,
        { metricName: `${fullName}_bucket`, labels: { le: '+Inf' }, value: counts.count },
        { metricName: `${fullName}_sum`, labels: {}, value: counts.sum },
        { metricName: `${fullName}_count`, labels: {}, value: counts.count },
      ],
    };
  };
  // The registry needs only a name, a get() and a reset() of a metric.
  const metric = { name: fullName, help, get, reset: () => undefined };
  registry.registerMetric(metric as unknown as Counter);
}

function roomSizeCounts(sizes: number[]): BucketCounts {
  const counts = new BucketCounts(roomSizeBounds);
  for (const size of sizes) counts.observe(size);
  return counts;
}

export function createRegistry(counters: RelayCounters, state: RelayState): Registry {
  const registry = new Registry();
  // The process metrics keep their conventional names, which dashboards expect.
  collectDefaultMetrics({ register: registry });
  readGauge(registry, 'sockets_open', 'WebSocket connections open or being admitted.', state.socketsOpen);
  readGauge(
    registry,
    'rooms_open',
    'Rooms with at least one member known to this relay.',
    () => state.roomSizes().length,
  );
  readHistogram(registry, 'room_size_peers', 'Members of each room open now (a snapshot, not cumulative).', () =>
    roomSizeCounts(state.roomSizes()),
  );
  readCounter(registry, 'upgrades_accepted_total', 'WebSocket upgrades accepted.', () => counters.upgradesAccepted);
  readLabelledCounter(
    registry,
    'upgrades_refused_total',
    'WebSocket upgrades refused, by reason.',
    'reason',
    counters.upgradesRefused,
  );
  readLabelledCounter(
    registry,
    'frames_received_total',
    'Valid frames received, by command.',
    'command',
    counters.framesReceived,
  );
  readLabelledCounter(
    registry,
    'frames_refused_total',
    'Frames answered with an error, by error code.',
    'code',
    counters.framesRefused,
  );
  readCounter(registry, 'received_bytes_total', 'Bytes of WebSocket messages received.', () => counters.bytesReceived);
  readCounter(registry, 'sent_bytes_total', 'Bytes of WebSocket messages sent.', () => counters.bytesSent);
  readLabelledCounter(registry, 'closes_total', 'Sockets closed, by close code.', 'code', counters.closes);
  readCounter(
    registry,
    'rate_limit_closes_total',
    'Sockets closed with 1008 for sending past the rate limit for too long.',
    () => counters.rateLimitCloses,
  );
  readCounter(
    registry,
    'backpressure_drops_total',
    'Sockets dropped for reading too slowly.',
    () => counters.backpressureDrops,
  );
  readCounter(
    registry,
    'resumes_granted_total',
    'Reconnections that got their id back.',
    () => counters.resumesGranted,
  );
  readCounter(
    registry,
    'resumes_refused_total',
    'Reconnections with a resume token that joined as newcomers.',
    () => counters.resumesRefused,
  );
  readCounter(
    registry,
    'grace_expired_total',
    'Lost connections whose id was released when the grace period ended.',
    () => counters.graceExpired,
  );
  if (state.redisConnected() !== undefined) addClusterMetrics(registry, counters, state);
  return registry;
}

function addClusterMetrics(registry: Registry, counters: RelayCounters, state: RelayState): void {
  readGauge(registry, 'redis_connected', 'Whether the relay can reach Redis now (1) or not (0).', () =>
    state.redisConnected() ? 1 : 0,
  );
  readCounter(
    registry,
    'redis_reconnects_total',
    'Connections to Redis made again after losing it.',
    () => counters.redisReconnects,
  );
  readCounter(
    registry,
    'redis_published_total',
    'Room events published to the other relays.',
    () => counters.redisPublished,
  );
  readCounter(
    registry,
    'redis_received_total',
    'Room events received from the other relays.',
    () => counters.redisReceived,
  );
  readHistogram(
    registry,
    'cross_relay_delivery_seconds',
    'Time from the publish on one relay to the delivery on this one.',
    () => counters.deliveryDelay,
  );
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics (HEAD too) on its own listener; everything else is 404 or 405. */
export function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics') return void response.writeHead(404).end();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return void response.writeHead(405, { Allow: 'GET, HEAD' }).end();
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => response.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
