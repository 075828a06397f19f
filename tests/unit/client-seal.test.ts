// The sealed payload: AAD binding, signatures, padding, and the author keys
// that refuse impostors, replays and frames from ids that left. Each hostile
// case is built the way an attacker would build it: a relay that only moves
// bytes, or a member who holds the room key.
import { describe, expect, it } from 'vitest';
import { AuthorKeys, fingerprint } from '../../client/src/lib/authors.ts';
import { fromBase64url, toBase64url } from '../../client/src/lib/base64url.ts';
import { decryptBytes, encryptBytes, messageKeyFromSecret, SigningIdentity } from '../../client/src/lib/crypto.ts';
import { payloadLength } from '../../client/src/lib/envelope-fields.ts';
import { additionalData, open, paddedLength, seal, type SealContext } from '../../client/src/lib/seal.ts';

const secret = 'AAECAwQFBgcICQoLDA0ODw';
const alice = 'aaaaaaaa-0000-4000-8000-000000000000';
const bob = 'bbbbbbbb-0000-4000-8000-000000000000';
const roomId = 'Y_zQkL3Rq_5BygKIuykMJoQkxUCxcH2ZzUEOnhBvk98';
const toRoom: SealContext = { roomId, from: alice, scope: 'room' };
const json = '{"v":1,"kind":"typing"}';
const maxPayload = 65_536;

async function setup() {
  return { key: await messageKeyFromSecret(secret), identity: await SigningIdentity.create() };
}

describe('sealed payloads', () => {
  it('open only in the exact context they were sealed for', async () => {
    const { key, identity } = await setup();
    const payload = await seal(key, identity, 1, json, toRoom, maxPayload);
    const opened = await open(key, payload, toRoom);
    expect(opened).toEqual({ envelopeJson: json, publicKey: toBase64url(identity.publicKey), counter: 1 });
    // A relay re-stamps the sender, moves the frame to another room, or re-labels its scope.
    expect(await open(key, payload, { ...toRoom, from: bob })).toBeUndefined();
    expect(await open(key, payload, { ...toRoom, roomId: 'another-room' })).toBeUndefined();
    expect(await open(key, payload, { ...toRoom, scope: 'fetch' })).toBeUndefined();
    expect(await open(key, `s${payload.slice(1)}`, { ...toRoom, scope: 'fetch' })).toBeUndefined();
  });

  it('bind a unicast to its recipient: it cannot be replayed to the room or to anyone else', async () => {
    const { key, identity } = await setup();
    const toBob: SealContext = { roomId, from: alice, scope: 'peer', to: bob };
    const payload = await seal(key, identity, 1, json, toBob, maxPayload);
    expect(await open(key, payload, toBob)).toBeDefined();
    expect(await open(key, payload, { ...toBob, to: 'cccccccc-0000-4000-8000-000000000000' })).toBeUndefined();
    expect(await open(key, payload, toRoom)).toBeUndefined();
    expect(await open(key, `r${payload.slice(1)}`, toRoom)).toBeUndefined();
  });

  it('refuse a payload whose signature does not match, even re-encrypted by a member with the key', async () => {
    const { key, identity } = await setup();
    const payload = await seal(key, identity, 1, json, toRoom, maxPayload);
    const aad = additionalData(toRoom);
    const plaintext = (await decryptBytes(key, fromBase64url(payload.slice(1))!, aad))!;
    const tamperings: ((bytes: Uint8Array) => void)[] = [
      (bytes) => (bytes[3]! ^= 1), // the signature
      (bytes) => (bytes[70]! ^= 1), // the public key
      (bytes) => (bytes[64 + 65 + 7]! ^= 1), // the counter
      (bytes) => (bytes[64 + 65 + 8 + 4 + 2]! ^= 1), // the envelope
    ];
    for (const tamper of tamperings) {
      const forged = plaintext.slice();
      tamper(forged);
      const resealed = `r${toBase64url(await encryptBytes(key, forged, aad))}`;
      expect(await open(key, resealed, toRoom)).toBeUndefined();
    }
    // Untouched and re-encrypted, it still opens: the refusals above are the signature's.
    expect(await open(key, `r${toBase64url(await encryptBytes(key, plaintext, aad))}`, toRoom)).toBeDefined();
  });

  it('refuse a payload under another room key, and garbage, without throwing', async () => {
    const { identity } = await setup();
    const key = await messageKeyFromSecret(secret);
    const other = await messageKeyFromSecret('DwAODQwLCgkIBwYFBAMCAQ');
    const payload = await seal(other, identity, 1, json, toRoom, maxPayload);
    expect(await open(key, payload, toRoom)).toBeUndefined();
    for (const garbage of ['', 'r', 'r!!!', 'rAAAA', `r${'A'.repeat(400)}`, 'x' + payload.slice(1)]) {
      expect(await open(key, garbage, toRoom)).toBeUndefined();
    }
  });

  it('pad lengths into buckets, so a typing signal and a short message look the same on the wire', async () => {
    const { key, identity } = await setup();
    const short = '{"v":1,"kind":"message","name":"A","message":{"id":"x","text":"hi there, how are you?"}}';
    const lengths = await Promise.all(
      [json, short].map(async (text) => (await seal(key, identity, 1, text, toRoom, maxPayload)).length),
    );
    expect(lengths[0]).toBe(lengths[1]);
    expect(paddedLength(300, maxPayload)).toBe(512);
    expect(paddedLength(5000, maxPayload)).toBe(8192);
    // Padding never makes a payload that fits too large.
    for (const bytes of [100, 4097, 40_000, 48_900]) {
      const fits = payloadLength(bytes) <= maxPayload;
      if (!fits) continue;
      const sealed = await seal(key, identity, 1, 'x'.repeat(bytes), toRoom, maxPayload);
      expect(sealed.length).toBeLessThanOrEqual(maxPayload);
    }
  });
});

describe('author keys', () => {
  const aliceKey = 'BA' + 'a'.repeat(85);
  const malloryKey = 'BA' + 'm'.repeat(85);

  it('pin the first key heard from an id and refuse any other key for it', () => {
    const authors = new AuthorKeys();
    expect(authors.admit(alice, aliceKey, 1)).toBeUndefined();
    expect(authors.admit(alice, malloryKey, 2)).toBe('impostor');
    expect(authors.admit(alice, aliceKey, 2)).toBeUndefined();
  });

  it('refuse a counter that does not go up: replays and reordering', () => {
    const authors = new AuthorKeys();
    expect(authors.admit(alice, aliceKey, 5)).toBeUndefined();
    expect(authors.admit(alice, aliceKey, 5)).toBe('replayed');
    expect(authors.admit(alice, aliceKey, 3)).toBe('replayed');
    expect(authors.admit(alice, aliceKey, 9)).toBeUndefined();
  });

  it('follow a key across ids, so a replay under a new id is still a replay', () => {
    const authors = new AuthorKeys();
    const aliceAgain = 'aaaaaaaa-1111-4000-8000-000000000000';
    expect(authors.admit(alice, aliceKey, 5)).toBeUndefined();
    expect(authors.admit(aliceAgain, aliceKey, 4)).toBe('replayed');
    expect(authors.admit(aliceAgain, aliceKey, 6)).toBeUndefined();
    expect(authors.samePerson(alice, aliceAgain)).toBe(true);
    expect(authors.admit(bob, malloryKey, 1)).toBeUndefined();
    expect(authors.samePerson(alice, bob)).toBe(false);
    expect(authors.samePerson(alice, 'never-heard')).toBe(false);
  });

  it('refuse frames from an id that left, telling a replay from a contradicted departure', () => {
    const authors = new AuthorKeys();
    authors.admit(alice, aliceKey, 5);
    authors.departed(alice);
    expect(authors.admit(alice, aliceKey, 5)).toBe('replayed');
    expect(authors.admit(alice, aliceKey, 6)).toBe('departed');
  });

  it('keep our own id on our own key, whatever frame arrives first', () => {
    const authors = new AuthorKeys();
    authors.pin(alice, aliceKey);
    expect(authors.admit(alice, malloryKey, 1)).toBe('impostor');
    expect(authors.fingerprintOf(alice)).toBe(fingerprint(aliceKey));
    expect(fingerprint(aliceKey)).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
  });
});
