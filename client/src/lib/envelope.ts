// What travels inside an encrypted payload: a small versioned JSON object of
// one of the kinds below, each owned by the feature that handles it. Anything
// that does not validate is dropped by the receiver, so a peer with the key
// but a broken or hostile client cannot crash anyone.
import { callDecoders, type CallEnvelope } from './calls/envelopes.ts';
import { chatDecoders, type ChatEnvelope } from './chat/envelopes.ts';
import { conversationDecoders, type ConversationEnvelope } from './conversation/envelopes.ts';
import { ENVELOPE_VERSION, isRecord, type EnvelopeDecoders } from './envelope-fields.ts';
import { fileDecoders, type FileEnvelope } from './files/envelopes.ts';
import { presenceDecoders, type PresenceEnvelope } from './presence/envelopes.ts';

/** Every envelope kind, one line per feature. */
export type Envelope = ChatEnvelope | PresenceEnvelope | CallEnvelope | FileEnvelope | ConversationEnvelope;

export type EnvelopeKind = Envelope['kind'];

/** One decoder per kind; the type makes a missing kind a compile error. */
const decoders: EnvelopeDecoders<Envelope> = {
  ...chatDecoders,
  ...presenceDecoders,
  ...callDecoders,
  ...fileDecoders,
  ...conversationDecoders,
};

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

function isKind(kind: unknown): kind is EnvelopeKind {
  return typeof kind === 'string' && Object.hasOwn(decoders, kind);
}

/** The envelope in a decrypted payload, or undefined for anything malformed. Never throws. */
export function decodeEnvelope(plaintext: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(plaintext);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.v !== ENVELOPE_VERSION || !isKind(value.kind)) return undefined;
  return decoders[value.kind](value);
}
