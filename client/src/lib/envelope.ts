// What travels inside an encrypted payload: a small versioned JSON object.
// Anything that does not validate is dropped by the receiver, so a peer with
// the key but a broken or hostile client cannot crash anyone.
import { utf8Length } from '../../../protocol/index.ts';
import { base64urlLength, encryptionOverhead } from './crypto.ts';
import { isTtl, type Ttl } from './ttl.ts';

export const ENVELOPE_VERSION = 1;
export const maxNameLength = 32;
export const maxTextLength = 10_000;

/** A message as it travels. `ts` is the relay time of its first delivery, present whenever it is sent again. */
export interface WireMessage {
  id: string;
  text: string;
  /** An action written with /me. */
  action?: boolean;
  /** Lifetime in milliseconds from `ts`; absent or 0 for none. */
  ttl?: Ttl;
  ts?: number;
}

/** A message that has been delivered once and so has its place in the order. */
export type DeliveredMessage = WireMessage & { ts: number };

export type Envelope =
  | { v: 1; kind: 'message'; name: string; message: WireMessage }
  | { v: 1; kind: 'batch'; name: string; messages: DeliveredMessage[] }
  | { v: 1; kind: 'nick'; name: string }
  | { v: 1; kind: 'typing' }
  /** What a returning peer holds: for each author, the relay time of the newest message it has. */
  | { v: 1; kind: 'summary'; have: Record<string, number> };

/** More authors than any room holds; a larger summary is not believed. */
const maxSummaryAuthors = 4096;

function isSummary(value: unknown): value is Record<string, number> {
  if (!isRecord(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= maxSummaryAuthors && entries.every(([, ts]) => typeof ts === 'number' && Number.isFinite(ts))
  );
}

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= maxNameLength;
}

const messageIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function toWireMessage(value: unknown, needsTs: boolean): WireMessage | undefined {
  if (!isRecord(value)) return undefined;
  const { id, text, action, ttl, ts } = value;
  if (typeof id !== 'string' || !messageIdPattern.test(id)) return undefined;
  if (typeof text !== 'string' || text.length === 0 || text.length > maxTextLength) return undefined;
  if (action !== undefined && typeof action !== 'boolean') return undefined;
  if (ttl !== undefined && !isTtl(ttl)) return undefined;
  const hasTs = typeof ts === 'number' && Number.isFinite(ts) && ts > 0;
  if (needsTs ? !hasTs : ts !== undefined && !hasTs) return undefined;
  const message: WireMessage = { id, text };
  if (action) message.action = true;
  if (ttl) message.ttl = ttl;
  if (hasTs) message.ts = ts;
  return message;
}

function isDelivered(message: WireMessage | undefined): message is DeliveredMessage {
  return message?.ts !== undefined;
}

/** The envelope in a decrypted payload, or undefined for anything malformed. Never throws. */
export function decodeEnvelope(plaintext: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(plaintext);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.v !== ENVELOPE_VERSION) return undefined;
  switch (value.kind) {
    case 'message': {
      const message = toWireMessage(value.message, false);
      return message && isValidName(value.name) ? { v: 1, kind: 'message', name: value.name, message } : undefined;
    }
    case 'batch': {
      if (!isValidName(value.name) || !Array.isArray(value.messages)) return undefined;
      const messages = value.messages.map((item) => toWireMessage(item, true));
      if (!messages.every(isDelivered)) return undefined;
      return { v: 1, kind: 'batch', name: value.name, messages };
    }
    case 'nick':
      return isValidName(value.name) ? { v: 1, kind: 'nick', name: value.name } : undefined;
    case 'typing':
      return { v: 1, kind: 'typing' };
    case 'summary':
      return isSummary(value.have) ? { v: 1, kind: 'summary', have: value.have } : undefined;
    default:
      return undefined;
  }
}

/** The payload length (base64url text) of an envelope whose JSON is `plaintextBytes` bytes of UTF-8. */
export function payloadLength(plaintextBytes: number): number {
  return base64urlLength(plaintextBytes + encryptionOverhead);
}

/** Whether an envelope, encrypted, fits within the relay's payload limit. */
export function fitsPayload(envelopeJson: string, maxPayload: number): boolean {
  return payloadLength(utf8Length(envelopeJson)) <= maxPayload;
}
