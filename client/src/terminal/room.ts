// Opening a room from Node.js: the client core's RoomSession with the Node
// socket adapter, and the first connection's outcome.
import { RoomSession, type RoomOptions } from '../lib/room.ts';
import { failureOutcome, type Outcome } from './exit-codes.ts';
import { NodeSockets } from './node-socket.ts';
import { socketOrigin, type RoomTarget } from './target.ts';

export interface OpenedRoom {
  session: RoomSession;
  sockets: NodeSockets;
  target: RoomTarget;
}

type Callbacks = Pick<RoomOptions, 'onChange' | 'onLive'>;

/**
 * Joins a room and waits for the relay's welcome. If the first attempt fails,
 * the session is left and the reason returned: a terminal user would rather
 * hear at once that a link is wrong than watch it retry.
 */
export async function openRoom(
  target: RoomTarget,
  name: string,
  callbacks: Callbacks,
): Promise<{ ok: true; room: OpenedRoom } | { ok: false; outcome: Outcome }> {
  const sockets = new NodeSockets(target.origin);
  let settle: (connected: boolean) => void = () => {};
  const first = new Promise<boolean>((resolve) => (settle = resolve));
  let session: RoomSession | undefined = undefined;
  session = await RoomSession.open({
    secret: target.secret,
    socketOrigin: socketOrigin(target.origin),
    name,
    createSocket: sockets.createSocket,
    onLive: callbacks.onLive,
    onChange: () => {
      if (session?.state === 'connected') settle(true);
      else if (session && session.state !== 'connecting') settle(false);
      callbacks.onChange();
    },
  });
  if (!(await first)) {
    const outcome = failureOutcome(sockets.failure);
    session.leave();
    return { ok: false, outcome };
  }
  return { ok: true, room: { session, sockets, target } };
}

/** Leaves with a close handshake, and waits (briefly) until the relay has it, so the others see us go at once. */
export async function leaveRoom(room: OpenedRoom): Promise<void> {
  room.session.leave();
  await Promise.race([room.sockets.closed(), new Promise((resolve) => setTimeout(resolve, 2000))]);
}
