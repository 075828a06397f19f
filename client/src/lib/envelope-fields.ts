// What every envelope kind shares: the version, the field checks, and how
// large an envelope may be once encrypted. Feature modules build their
// envelope validation from these.
import { utf8Length } from '../../../protocol/index.ts';
import { base64urlLength, encryptionOverhead, scopeMarkerLength, sealHeaderBytes } from './crypto.ts';

export const ENVELOPE_VERSION = 1;
export const maxNameLength = 32;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Characters that make text read other than it is: bidirectional overrides,
 * embeddings and isolates, and invisible ones (zero-width space, word joiner,
 * invisible operators, byte order mark, Mongolian vowel separator).
 */
const deceptive = /[\u061C\u180E\u200B\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
/** In a name, also the joiners, direction marks and soft hyphen, which let one name pass for another. */
const deceptiveInNames = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

/** Message text without deceptive characters (joiners stay: emoji and some scripts need them). */
export function withoutDeceptive(text: string): string {
  return text.replace(deceptive, '');
}

/** A name of 1 to 32 characters, not blank and with nothing invisible or direction-changing in it. */
export function isValidName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.trim().length > 0 &&
    value.length <= maxNameLength &&
    !deceptiveInNames.test(value)
  );
}

/**
 * For each envelope kind of a feature, the function that checks a decoded
 * object (version already checked) and returns the typed envelope, or
 * undefined for anything malformed. Never throws.
 */
export type EnvelopeDecoders<E extends { kind: string }> = {
  [K in E['kind']]: (value: Record<string, unknown>) => Extract<E, { kind: K }> | undefined;
};

/**
 * The payload length (base64url text) of an envelope whose JSON is `plaintextBytes` bytes of UTF-8, once sealed
 * (seal.ts), before padding: padding never grows a payload beyond what fits (see paddedLength).
 */
export function payloadLength(plaintextBytes: number): number {
  return scopeMarkerLength + base64urlLength(plaintextBytes + sealHeaderBytes + encryptionOverhead);
}

/** Whether an envelope, encrypted, fits within the relay's payload limit. */
export function fitsPayload(envelopeJson: string, maxPayload: number): boolean {
  return payloadLength(utf8Length(envelopeJson)) <= maxPayload;
}
