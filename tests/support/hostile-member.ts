// A member who holds the room key but runs a script instead of the client:
// it seals whatever envelopes it likes, correctly signed, and sends them as
// fast as the relay lets it.
import { messageKeyFromSecret, roomIdFromSecret, SigningIdentity } from '../../client/src/lib/crypto.ts';
import { seal } from '../../client/src/lib/seal.ts';
import { TestClient } from './client.ts';

/** Seals any JSON value as `from` would, for the room or for one peer, under a key pair of its own. */
export type Sealer = (from: string, envelope: unknown, to?: string) => Promise<string>;

export async function hostileSealer(secret: string, maxPayload: number): Promise<Sealer> {
  const [key, roomId, identity] = await Promise.all([
    messageKeyFromSecret(secret),
    roomIdFromSecret(secret),
    SigningIdentity.create(),
  ]);
  let counter = 0;
  return (from, envelope, to) => {
    const context = { roomId, from, scope: to ? ('peer' as const) : ('room' as const), to };
    return seal(key, identity, ++counter, JSON.stringify(envelope), context, maxPayload);
  };
}

/** The `send` frame for a sealed payload. */
export function sendFrame(payload: string, to?: string): string[] {
  return to ? ['send', payload, to] : ['send', payload];
}

export interface HostileMember {
  id: string;
  client: TestClient;
  send(envelope: unknown, to?: string): Promise<void>;
}

/** Joins the room of `secret` over a plain WebSocket, as a scripted member. */
export async function joinAsHostileMember(wsUrl: (room: string) => string, secret: string): Promise<HostileMember> {
  const roomId = await roomIdFromSecret(secret);
  const { client, id, info } = await TestClient.join(wsUrl(roomId));
  const sealer = await hostileSealer(secret, (info.limits as { maxPayload: number }).maxPayload);
  return {
    id,
    client,
    send: async (envelope, to) => client.send(sendFrame(await sealer(id, envelope, to), to)),
  };
}
