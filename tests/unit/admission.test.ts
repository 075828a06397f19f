import { describe, expect, it } from 'vitest';
import { clientAddress, parseTrustProxy } from '../../relay/admission.ts';
import { issueToken, tokenLifetimeMs, verifyToken } from '../../relay/resume.ts';

describe('the client address behind a proxy', () => {
  it('is the socket’s own unless a proxy is trusted, whatever the headers say', () => {
    const none = parseTrustProxy(undefined);
    expect(clientAddress('10.0.0.5', '192.0.2.1', '192.0.2.2', none)).toBe('10.0.0.5');
  });

  it('behind fly, comes from Fly-Client-IP only (review finding: spoofable address)', () => {
    const fly = parseTrustProxy('fly');
    expect(clientAddress('10.0.0.5', '198.51.100.7', 'written-by-client', fly)).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.5', '', 'written-by-client', fly)).toBe('10.0.0.5');
  });

  it('behind N proxies, is the entry N from the right: what the client wrote to its left is ignored', () => {
    expect(clientAddress('10.0.0.5', 'x', '192.0.2.9, 198.51.100.7', parseTrustProxy('xff:1'))).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.5', '', '192.0.2.9, 198.51.100.7, 10.0.0.1', parseTrustProxy('xff:2'))).toBe(
      '198.51.100.7',
    );
    // Fewer entries than trusted proxies: misconfigured, so the socket's own address.
    expect(clientAddress('10.0.0.5', '', '198.51.100.7', parseTrustProxy('xff:2'))).toBe('10.0.0.5');
  });

  it.each(['true', 'yes', 'xff', 'xff:0', 'xff:11', 'nginx'])('refuses TRUST_PROXY=%s', (value) => {
    expect(() => parseTrustProxy(value)).toThrow('TRUST_PROXY');
  });
});

describe('resume tokens', () => {
  const secret = 'test secret';
  const now = 1_700_000_000_000;

  it('prove an id in their room until they expire', () => {
    const token = issueToken(secret, 'room', 'peer-1', now);
    expect(verifyToken(secret, 'room', token, now + 1000)).toBe('peer-1');
    expect(verifyToken(secret, 'room', token, now + tokenLifetimeMs)).toBeUndefined();
    expect(verifyToken(secret, 'other-room', token, now)).toBeUndefined();
    expect(verifyToken('other secret', 'room', token, now)).toBeUndefined();
  });

  it('carry their expiry inside the MAC: moving it later breaks the token (review finding: tokens never expired)', () => {
    const [id, expires, mac] = issueToken(secret, 'room', 'peer-1', now).split('.');
    const extended = [id, Number(expires) + tokenLifetimeMs, mac].join('.');
    expect(verifyToken(secret, 'room', extended, now + tokenLifetimeMs + 1)).toBeUndefined();
    for (const malformed of [
      '',
      'peer-1',
      'peer-1.abc',
      `peer-1.${expires}`,
      `.${expires}.${mac}`,
      `peer-1.1e20.${mac}`,
    ]) {
      expect(verifyToken(secret, 'room', malformed, now)).toBeUndefined();
    }
  });
});
