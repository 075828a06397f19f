import { describe, expect, it } from 'vitest';
import { defaults, readConfig } from '../../relay/config.ts';

describe('readConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(readConfig({})).toEqual(defaults);
    expect(defaults).toMatchObject({ port: 8080, host: '0.0.0.0', maxPayload: 131072, roomMaxPeers: 256 });
    expect(defaults).toMatchObject({ rateLimit: 30, rateBurst: 60, rateBytes: 2621440, rateBurstBytes: 4194304 });
  });

  it('reads every variable', () => {
    const config = readConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      MAX_PAYLOAD: '1024',
      ROOM_MAX_PEERS: '3',
      RATE_LIMIT: '0',
      RATE_BURST: '5',
      RATE_BYTES: '100000',
      RATE_BURST_BYTES: '200000',
      DRAIN_DELAY_MS: '0',
      METRICS_PORT: '9091',
      METRICS_HOST: '0.0.0.0',
      LOG_FORMAT: 'json',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      maxPayload: 1024,
      roomMaxPeers: 3,
      rateLimit: 0,
      rateBurst: 5,
      rateBytes: 100_000,
      rateBurstBytes: 200_000,
      drainDelayMs: 0,
      metricsPort: 9091,
      metricsHost: '0.0.0.0',
      logFormat: 'json',
    });
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', 'eighty'],
    ['MAX_PAYLOAD', '0'],
    ['MAX_PAYLOAD', '1.5'],
    ['ROOM_MAX_PEERS', '-1'],
    ['METRICS_PORT', '65536'],
    ['DRAIN_DELAY_MS', 'soon'],
    ['LOG_FORMAT', 'xml'],
    ['RATE_BYTES', '-1'],
    // Below the largest frame the default MAX_PAYLOAD allows (2 × 131072 + 1024), so that frame could never pass.
    ['RATE_BURST_BYTES', '263167'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(name);
  });
});
