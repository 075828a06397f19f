import { describe, expect, it } from 'vitest';
import { defaults, readConfig } from '../../relay/config.ts';

describe('readConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(readConfig({})).toEqual(defaults);
    expect(defaults).toMatchObject({ port: 8080, host: '0.0.0.0', maxPayload: 65536, roomMaxPeers: 256 });
  });

  it('reads every variable', () => {
    const config = readConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      MAX_PAYLOAD: '1024',
      ROOM_MAX_PEERS: '3',
      RATE_LIMIT: '0',
      RATE_BURST: '5',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      maxPayload: 1024,
      roomMaxPeers: 3,
      rateLimit: 0,
      rateBurst: 5,
    });
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', 'eighty'],
    ['MAX_PAYLOAD', '0'],
    ['MAX_PAYLOAD', '1.5'],
    ['ROOM_MAX_PEERS', '-1'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(name);
  });
});
