// Who is who and who is typing: a name change, and a typing signal.
import { isValidName, type EnvelopeDecoders } from '../envelope-fields.ts';

export type PresenceEnvelope = { v: 1; kind: 'nick'; name: string } | { v: 1; kind: 'typing' };

export const presenceDecoders: EnvelopeDecoders<PresenceEnvelope> = {
  nick: (value) => (isValidName(value.name) ? { v: 1, kind: 'nick', name: value.name } : undefined),
  typing: () => ({ v: 1, kind: 'typing' }),
};
