import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, type Envelope } from '../../client/src/lib/envelope.ts';
import { isValidName } from '../../client/src/lib/envelope-fields.ts';

const messageId = '3f2c6a1e-8b7d-4c2e-9a10-1b2c3d4e5f60';

describe('envelopes', () => {
  it('round-trips every kind', () => {
    const envelopes: Envelope[] = [
      { v: 1, kind: 'message', name: 'Calm Otter', message: { id: messageId, text: 'hi', ttl: 600_000 } },
      { v: 1, kind: 'batch', name: 'Calm Otter', messages: [{ id: messageId, text: 'waves', action: true, ts: 5 }] },
      { v: 1, kind: 'nick', name: 'Bob' },
      { v: 1, kind: 'typing' },
      { v: 1, kind: 'summary', have: { [messageId]: 1_700_000_000_000 } },
    ];
    for (const envelope of envelopes) expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it('rejects anything malformed without throwing', () => {
    const good = { v: 1, kind: 'message', name: 'A', message: { id: messageId, text: 'hi' } };
    const bad: unknown[] = [
      null,
      [],
      'text',
      { ...good, v: 2 },
      { ...good, kind: 'shout' },
      // Names every object has must not reach the decoder table's prototype.
      { ...good, kind: 'toString' },
      { ...good, kind: '__proto__' },
      { ...good, kind: 'constructor' },
      { ...good, kind: 1 },
      { ...good, name: '' },
      { ...good, name: 'x'.repeat(33) },
      { ...good, message: { ...good.message, id: 'not-a-uuid' } },
      { ...good, message: { ...good.message, text: '' } },
      { ...good, message: { ...good.message, text: 'x'.repeat(10_001) } },
      { ...good, message: { ...good.message, ttl: 12345 } },
      { ...good, message: { ...good.message, action: 'yes' } },
      { ...good, message: { ...good.message, ts: -1 } },
      { v: 1, kind: 'batch', name: 'A', messages: [{ id: messageId, text: 'no ts' }] },
      { v: 1, kind: 'batch', name: 'A', messages: 'nope' },
      { v: 1, kind: 'nick' },
      { v: 1, kind: 'summary' },
      { v: 1, kind: 'summary', have: { someone: 'yesterday' } },
      { v: 1, kind: 'summary', have: [1, 2] },
    ];
    for (const value of bad) expect(decodeEnvelope(JSON.stringify(value))).toBeUndefined();
    for (const text of ['', '{', 'undefined', '{"v":1,"kind":"typing"']) expect(decodeEnvelope(text)).toBeUndefined();
  });

  it('keeps only known fields', () => {
    const decoded = decodeEnvelope(
      JSON.stringify({
        v: 1,
        kind: 'message',
        name: 'A',
        extra: 1,
        message: { id: messageId, text: 'x', html: '<b>' },
      }),
    );
    expect(decoded).toEqual({ v: 1, kind: 'message', name: 'A', message: { id: messageId, text: 'x' } });
  });
});

describe('deceptive characters', () => {
  const message = (text: string, name = 'Alice') =>
    decodeEnvelope(
      JSON.stringify({ v: 1, kind: 'message', name, message: { id: '00000000-0000-4000-8000-000000000001', text } }),
    );

  it('removes bidirectional overrides and invisible characters from message text, keeping joiners', () => {
    const decoded = message('pay \u202Eoc.live\u202C now\u200B\u2066!\u2069 👨\u200D👩');
    expect(decoded).toMatchObject({ message: { text: 'pay oc.live now! 👨\u200D👩' } });
    expect(message('\u202E\u200B')).toBeUndefined();
  });

  it('refuses names that hide characters, so no one can pass for another', () => {
    for (const name of ['Ali\u200Dce', 'Alice\u202E', '\u2066Alice', 'Al\u00ADice', 'Alice\u200F']) {
      expect(isValidName(name)).toBe(false);
      expect(message('hi', name)).toBeUndefined();
    }
    expect(isValidName('Zoë 🦊')).toBe(true);
  });
});
