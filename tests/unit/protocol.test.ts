import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeClientFrame,
  decodeRelayFrame,
  encodeAdd,
  encodeError,
  encodeFetch,
  encodeInit,
  encodeRm,
  maxFrameLength,
  roomFromPath,
  utf8Length,
} from '../../protocol/index.ts';

const max = 16;

describe('decodeClientFrame', () => {
  it('accepts broadcast and unicast send, keeping the payload as sent', () => {
    expect(decodeClientFrame('["send","hi"]', max)).toEqual({ type: 'send', payloadJson: '"hi"', to: undefined });
    expect(decodeClientFrame('[ "send" , "hi" , "peer" ]', max)).toEqual({
      type: 'send',
      payloadJson: '"hi"',
      to: 'peer',
    });
  });

  it('keeps escapes in the payload text exactly, however the command is written', () => {
    const text = String.raw`["\u0073end","a\"b\\c\u0041\n\"", "to"]`;
    expect(decodeClientFrame(text, 64)).toEqual({
      type: 'send',
      payloadJson: String.raw`"a\"b\\c\u0041\n\""`,
      to: 'to',
    });
    const decoded = decodeClientFrame(text, 64);
    expect(decoded.type === 'send' && JSON.parse(decoded.payloadJson)).toBe('a"b\\cA\n"');
  });

  it('accepts fetch with and without a summary', () => {
    expect(decodeClientFrame('["fetch"]', max)).toEqual({ type: 'fetch', summaryJson: undefined });
    expect(decodeClientFrame('["fetch","s\\"um"]', max)).toEqual({ type: 'fetch', summaryJson: '"s\\"um"' });
  });

  it.each([
    ['not JSON', 'hello'],
    ['truncated JSON', '["send","hi"'],
    ['an object', '{"send":"hi"}'],
    ['a string', '"send"'],
    ['an empty array', '[]'],
    ['a command that is not a string', '[1,"hi"]'],
    ['send without payload', '["send"]'],
    ['send with a number', '["send",5]'],
    ['send with an object', '["send",{"a":1}]'],
    ['send with a non-string peer', '["send","hi",7]'],
    ['send with too many parameters', '["send","hi","peer","extra"]'],
    ['fetch with a number', '["fetch",1]'],
    ['fetch with too many parameters', '["fetch","a","b"]'],
  ])('answers bad_frame to %s', (_name, text) => {
    expect(decodeClientFrame(text, max)).toMatchObject({ type: 'error', code: 'bad_frame' });
  });

  it.each(['add', 'rm', 'init', 'error', 'hello', ''])('answers unknown_command to %j', (command) => {
    expect(decodeClientFrame(JSON.stringify([command, 'x', 'y']), max)).toMatchObject({
      type: 'error',
      code: 'unknown_command',
    });
  });

  it('measures payloads in bytes of UTF-8, at the exact boundary', () => {
    expect(decodeClientFrame(JSON.stringify(['send', 'a'.repeat(max)]), max).type).toBe('send');
    expect(decodeClientFrame(JSON.stringify(['send', 'a'.repeat(max + 1)]), max)).toMatchObject({ code: 'too_large' });
    expect(decodeClientFrame(JSON.stringify(['send', 'é'.repeat(max / 2)]), max).type).toBe('send');
    expect(decodeClientFrame(JSON.stringify(['send', 'é'.repeat(max / 2) + 'a']), max)).toMatchObject({
      code: 'too_large',
    });
    expect(decodeClientFrame(JSON.stringify(['send', '😀'.repeat(max / 4)]), max).type).toBe('send');
    expect(decodeClientFrame(JSON.stringify(['fetch', '😀'.repeat(max / 4 + 1)]), max)).toMatchObject({
      code: 'too_large',
    });
  });

  it('agrees with the platform encoder on the size of any payload near the limit, lone surrogates included', () => {
    const unitsNearTheLimit = fc.array(fc.integer({ min: 0, max: 0xffff }), {
      minLength: Math.floor(max / 3),
      maxLength: max + 2,
    });
    fc.assert(
      fc.property(unitsNearTheLimit, (units) => {
        const payload = String.fromCharCode(...units);
        const fits = Buffer.byteLength(payload, 'utf8') <= max;
        expect(decodeClientFrame(JSON.stringify(['send', payload]), max).type).toBe(fits ? 'send' : 'error');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('utf8Length', () => {
  it('agrees with the platform encoder, lone surrogates included', () => {
    const samples = ['', 'ascii', 'é', '€', '😀', '\ud800', 'a\udc00b', '\ud83d\ude00\ud83d', 'mixed é € 😀 text'];
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      samples.push(String.fromCharCode(...Array.from({ length: 20 }, (_, j) => (seed >> j) % 0xffff)));
    }
    for (const sample of samples) expect(utf8Length(sample)).toBe(Buffer.byteLength(sample, 'utf8'));
  });
});

describe('encoders', () => {
  const id = '3f2a1c4e-8b7d-4e6f-9a0b-1c2d3e4f5a6b';

  it('produce frames the client decoder reads back', () => {
    const info = { v: 1, limits: { maxPayload: 10, rate: 1, burst: 2 }, extra: true };
    expect(decodeRelayFrame(encodeInit(id, ['p'], info))).toEqual(['init', id, ['p'], info]);
    expect(decodeRelayFrame(encodeAdd(id, '"pay\\"load"', 42))).toEqual(['add', id, 'pay"load', 42]);
    expect(decodeRelayFrame(encodeFetch(id))).toEqual(['fetch', id]);
    expect(decodeRelayFrame(encodeFetch(id, '"summary"'))).toEqual(['fetch', id, 'summary']);
    expect(decodeRelayFrame(encodeRm(id))).toEqual(['rm', id]);
    expect(decodeRelayFrame(encodeError('too_large', 'big "one"'))).toEqual(['error', 'too_large', 'big "one"']);
  });
});

describe('decodeRelayFrame', () => {
  it.each([
    'not json',
    '{}',
    '["init","id",[],{}]',
    '["init","id",[1],{"v":1,"limits":{"maxPayload":1,"rate":1,"burst":1}}]',
    '["add","id","payload"]',
    '["add","id",5,1]',
    '["fetch"]',
    '["fetch","id",5]',
    '["rm"]',
    '["error","not_a_code","x"]',
    '["send","x"]',
  ])('rejects %s', (text) => {
    expect(decodeRelayFrame(text)).toBeUndefined();
  });
});

describe('roomFromPath', () => {
  it('accepts 1 to 64 characters of A-Z a-z 0-9 _ -', () => {
    expect(roomFromPath('/ws/a')).toBe('a');
    expect(roomFromPath(`/ws/${'x'.repeat(64)}`)).toBe('x'.repeat(64));
    expect(roomFromPath('/ws/Room_1-b')).toBe('Room_1-b');
  });

  it.each(['/ws/', `/ws/${'x'.repeat(65)}`, '/ws/a b', '/ws/a/b', '/ws/é', '/ws/a.b', '/other/a', '/ws', '/'])(
    'refuses %j',
    (path) => expect(roomFromPath(path)).toBeUndefined(),
  );
});

describe('maxFrameLength', () => {
  it('leaves room for a fully escaped payload', () => {
    expect(maxFrameLength(1000)).toBeGreaterThan(2 * 1000);
  });
});
