// What every envelope kind shares: the version, the field checks, and how
// large an envelope may be once encrypted. Feature modules build their
// envelope validation from these.
import { utf8Length } from '../../../protocol/index.ts';
import { base64urlLength, encryptionOverhead } from './crypto.ts';

export const ENVELOPE_VERSION = 1;
export const maxNameLength = 32;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= maxNameLength;
}

/**
 * For each envelope kind of a feature, the function that checks a decoded
 * object (version already checked) and returns the typed envelope, or
 * undefined for anything malformed. Never throws.
 */
export type EnvelopeDecoders<E extends { kind: string }> = {
  [K in E['kind']]: (value: Record<string, unknown>) => Extract<E, { kind: K }> | undefined;
};

/** The payload length (base64url text) of an envelope whose JSON is `plaintextBytes` bytes of UTF-8. */
export function payloadLength(plaintextBytes: number): number {
  return base64urlLength(plaintextBytes + encryptionOverhead);
}

/** Whether an envelope, encrypted, fits within the relay's payload limit. */
export function fitsPayload(envelopeJson: string, maxPayload: number): boolean {
  return payloadLength(utf8Length(envelopeJson)) <= maxPayload;
}
