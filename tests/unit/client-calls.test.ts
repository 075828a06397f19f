// The call's pure rules: envelope validation (hostile input included), who
// connects to whom and who is polite, the participant limit, the bitrate
// budget as the call grows, what an `rm` does to the call, and the relay's
// TURN credentials.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCallInfo, hasTurn } from '../../client/src/lib/calls/call-info.ts';
import { Calls, type CallSignals } from '../../client/src/lib/calls/calls.ts';
import { maxSdpLength } from '../../client/src/lib/calls/envelopes.ts';
import {
  admitted,
  audioReserve,
  connectionTargets,
  isPolite,
  minVideoBitrate,
  videoEncodings,
} from '../../client/src/lib/calls/mesh.ts';
import { fingerprintOf, safetyCode } from '../../client/src/lib/calls/safety.ts';
import { decodeEnvelope, type Envelope } from '../../client/src/lib/envelope.ts';
import type { RoomContext } from '../../client/src/lib/feature.ts';
import { readConfig } from '../../relay/config.ts';
import { callInfo, parseIceServers } from '../../relay/ice.ts';

const decode = (value: unknown): Envelope | undefined => decodeEnvelope(JSON.stringify(value));
const callState = {
  v: 1,
  kind: 'call',
  name: 'Ann',
  joined: true,
  since: 5,
  muted: false,
  camera: true,
  screen: false,
};
const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 AB:CD\r\n';
const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };

describe('call envelopes', () => {
  it('accepts well-formed call state, descriptions and candidate bundles', () => {
    expect(decode(callState)).toEqual(callState);
    const offer = { v: 1, kind: 'sdp', type: 'offer', sdp, roles: { '0': 'mic', '1': 'camera' } };
    expect(decode(offer)).toEqual(offer);
    const ice = { v: 1, kind: 'ice', candidates: [candidate, { candidate: '', sdpMid: '0', sdpMLineIndex: null }] };
    expect(decode(ice)).toEqual(ice);
  });

  it('rejects malformed, oversized and endless signalling', () => {
    const hostile: unknown[] = [
      { ...callState, joined: 'yes' },
      { ...callState, since: -1 },
      { ...callState, since: Infinity },
      { ...callState, name: 'x'.repeat(200) },
      { v: 1, kind: 'sdp', type: 'pranswer', sdp, roles: {} },
      { v: 1, kind: 'sdp', type: 'offer', sdp: 'not sdp', roles: {} },
      { v: 1, kind: 'sdp', type: 'offer', sdp: `v=0${'a'.repeat(maxSdpLength)}`, roles: {} },
      { v: 1, kind: 'sdp', type: 'offer', sdp, roles: { '0': 'keylogger' } },
      {
        v: 1,
        kind: 'sdp',
        type: 'offer',
        sdp,
        roles: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [i, 'mic'])),
      },
      { v: 1, kind: 'sdp', type: 'offer', sdp },
      { v: 1, kind: 'ice', candidates: [] },
      { v: 1, kind: 'ice', candidates: Array.from({ length: 33 }, () => candidate) },
      { v: 1, kind: 'ice', candidates: [{ ...candidate, candidate: 'c'.repeat(513) }] },
      { v: 1, kind: 'ice', candidates: [{ ...candidate, sdpMLineIndex: 1.5 }] },
      { v: 1, kind: 'ice', candidates: [{ candidate: 'x', sdpMid: null, sdpMLineIndex: null }] },
      { v: 1, kind: 'ice', candidates: 'candidate:1' },
    ];
    for (const value of hostile) expect(decode(value), JSON.stringify(value).slice(0, 80)).toBeUndefined();
  });
});

describe('mesh rules', () => {
  it('makes exactly one side of each pair polite', () => {
    expect(isPolite('b', 'a')).toBe(true);
    expect(isPolite('a', 'b')).toBe(false);
  });

  it('connects every admitted participant to every other, by join order, up to the limit', () => {
    const people = new Map([
      ['c', { since: 3 }],
      ['a', { since: 1 }],
      ['b', { since: 1 }],
      ['d', { since: 4 }],
    ]);
    expect([...admitted(people, 3)]).toEqual(['a', 'b', 'c']);
    expect(connectionTargets('a', people, 3).sort()).toEqual(['b', 'c']);
    // The fourth is past the limit: nobody connects to it, and it connects to nobody.
    expect(connectionTargets('d', people, 3)).toEqual([]);
  });

  it('keeps each sender within the budget as the call grows, audio set aside first', () => {
    const budget = 2_500_000;
    let previous = Infinity;
    for (let peers = 1; peers <= 7; peers++) {
      const camera = videoEncodings(budget, peers, ['camera']).get('camera')!;
      expect(peers * (camera.maxBitrate + audioReserve)).toBeLessThanOrEqual(budget);
      expect(camera.maxBitrate).toBeLessThan(previous);
      previous = camera.maxBitrate;
    }
    expect(videoEncodings(budget, 1, ['camera']).get('camera')!.scaleResolutionDownBy).toBe(1);
    expect(videoEncodings(budget, 7, ['camera']).get('camera')!.scaleResolutionDownBy).toBeGreaterThan(1);
    const both = videoEncodings(budget, 2, ['camera', 'screen']);
    expect(both.get('screen')!.maxBitrate).toBeGreaterThan(both.get('camera')!.maxBitrate);
    expect(both.get('screen')!.scaleResolutionDownBy).toBe(1);
    // Past what the budget can carry, video keeps a floor; audio still has its reserve.
    expect(videoEncodings(100_000, 7, ['camera']).get('camera')!.maxBitrate).toBe(minVideoBitrate);
    expect(videoEncodings(budget, 0, ['camera']).size).toBe(0);
  });
});

/** A room with a fixed self id whose sends are recorded. */
function fakeRoom(self = 'me') {
  const sent: { envelope: Envelope; to: string | undefined }[] = [];
  const room: RoomContext = {
    selfId: () => self,
    name: () => 'Me',
    connected: () => true,
    samePerson: (a, b) => a === b,
    relayNow: () => 1000,
    now: () => 1000,
    maxPayload: () => 65_536,
    send: async (envelope, to) => void sent.push({ envelope, to }),
    sendBulk: async (envelope, to) => (sent.push({ envelope, to }), true),
    fetch: async () => {},
    notice: () => ({}) as ReturnType<RoomContext['notice']>,
    live: () => {},
    changed: () => {},
  };
  return { room, sent };
}

function recordingSignals() {
  const heard: string[] = [];
  let targets: readonly string[] = [];
  const signals: CallSignals = {
    description: (from) => void heard.push(`sdp from ${from}`),
    candidates: (from) => void heard.push(`ice from ${from}`),
    targetsChanged: (now) => void (targets = now),
  };
  return { signals, heard, targets: () => targets };
}

const joinedAt = (since: number) =>
  ({ v: 1, kind: 'call', name: 'X', joined: true, since, muted: false, camera: true, screen: false }) as const;
const from = (peer: string) => ({ from: peer, ts: 1, self: false, unicast: false });

describe('call state', () => {
  it('joins, connects to participants, answers a newcomer and forgets whoever is rm’d', async () => {
    const { room, sent } = fakeRoom();
    const calls = new Calls(room);
    const { signals, targets } = recordingSignals();
    calls.attach(signals);
    calls.receive(joinedAt(10), from('ann'));
    expect(calls.snapshot().participants.map((p) => p.peer)).toEqual(['ann']);
    expect(await calls.join({ camera: true })).toBe('joined');
    expect(sent.at(-1)).toMatchObject({ envelope: { kind: 'call', joined: true, since: 1000 }, to: undefined });
    expect(targets()).toEqual(['ann']);
    await calls.answerNewcomer('newcomer');
    expect(sent.at(-1)).toMatchObject({ envelope: { kind: 'call', joined: true }, to: 'newcomer' });
    calls.forget('ann');
    expect(calls.participants.size).toBe(0);
    expect(targets()).toEqual([]);
    await calls.leave();
    expect(sent.at(-1)).toMatchObject({ envelope: { kind: 'call', joined: false } });
  });

  it('says the call is full at the limit, and leaves when others turn out to have joined first', async () => {
    const { room } = fakeRoom('me');
    const calls = new Calls(room);
    calls.configure({ maxParticipants: 2 });
    calls.receive(joinedAt(1), from('ann'));
    calls.receive(joinedAt(2), from('bob'));
    expect(await calls.join({ camera: false })).toBe('full');
    calls.receive({ ...joinedAt(2), joined: false }, from('bob'));
    expect(await calls.join({ camera: false })).toBe('joined');
    // Cleo joined after us (a later relay time) and is the one past the limit; we stay.
    calls.receive(joinedAt(2000), from('cleo'));
    expect(calls.own.joined).toBe(true);
    // Dan joined before us but we heard of it late: now we are past the limit, and leave.
    calls.receive(joinedAt(0), from('dan'));
    expect(calls.own.joined).toBe(false);
    expect(calls.full).toBe(true);
  });

  it('hands on signalling only from the peers we are connected to', async () => {
    const { room } = fakeRoom();
    const calls = new Calls(room);
    const { signals, heard } = recordingSignals();
    calls.attach(signals);
    const offer = { v: 1, kind: 'sdp', type: 'offer', sdp, roles: {} } as const;
    calls.receive(offer, from('ann'));
    calls.receive(joinedAt(1), from('ann'));
    calls.receive(offer, from('ann')); // we are not in the call yet
    await calls.join({ camera: true });
    calls.receive(offer, from('ann'));
    calls.receive({ v: 1, kind: 'ice', candidates: [candidate] }, from('ann'));
    calls.receive(offer, from('stranger'));
    expect(heard).toEqual(['sdp from ann', 'ice from ann']);
  });
});

describe('call info and safety codes', () => {
  it('takes the relay’s limit and ICE servers, and falls back on anything odd', () => {
    const turn = { urls: ['turn:127.0.0.1:3478'], username: '1:x', credential: 'c' };
    expect(decodeCallInfo({ maxParticipants: 4, iceServers: [turn, { urls: 'stun:127.0.0.1' }] })).toEqual({
      maxParticipants: 4,
      iceServers: [turn, { urls: ['stun:127.0.0.1'] }],
    });
    expect(hasTurn(decodeCallInfo({ iceServers: [turn] }))).toBe(true);
    expect(decodeCallInfo({ maxParticipants: 1e9, iceServers: [{ urls: 'http://x' }, 'junk'] })).toEqual({
      maxParticipants: 8,
      iceServers: [],
    });
    expect(decodeCallInfo(undefined).maxParticipants).toBe(8);
  });

  it('derives the same safety code on both sides, and another for another fingerprint', async () => {
    const mine = fingerprintOf(sdp)!;
    expect(mine).toBe('sha-256 AB:CD');
    const code = await safetyCode('room', mine, 'sha-256 EF:01');
    expect(code).toMatch(/^\d{3} \d{3}$/);
    expect(await safetyCode('room', 'sha-256 EF:01', mine)).toBe(code);
    expect(await safetyCode('room', mine, 'sha-256 EF:02')).not.toBe(code);
    expect(fingerprintOf('v=0\r\n')).toBeUndefined();
  });
});

describe('relay ICE settings', () => {
  it('hands TURN REST credentials that coturn’s use-auth-secret accepts, and none for STUN', () => {
    const config = readConfig({
      CALL_MAX_PARTICIPANTS: '4',
      ICE_SERVERS: '["stun:127.0.0.1:3478", {"urls": ["turn:127.0.0.1:3478", "turns:127.0.0.1:5349"]}]',
      TURN_SECRET: 'shared-secret',
    });
    const info = callInfo(config, 1_000_000);
    expect(info.maxParticipants).toBe(4);
    expect(info.iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    const turn = info.iceServers[1]!;
    const [expiry] = turn.username!.split(':');
    expect(Number(expiry)).toBe(1_000_000 + config.turnCredentialTtlS);
    expect(turn.credential).toBe(createHmac('sha1', 'shared-secret').update(turn.username!).digest('base64'));
  });

  it('leaves TURN out without a secret, and refuses ICE_SERVERS that are not ICE URLs', () => {
    expect(callInfo(readConfig({ ICE_SERVERS: '["turn:127.0.0.1"]' }), 0).iceServers).toEqual([]);
    expect(readConfig({}).callMaxParticipants).toBe(8);
    expect(() => parseIceServers('["https://example.org"]')).toThrow(/ICE_SERVERS/);
    expect(() => parseIceServers('{')).toThrow(/JSON/);
    expect(() => readConfig({ CALL_MAX_PARTICIPANTS: '1' })).toThrow(/CALL_MAX_PARTICIPANTS/);
  });
});
