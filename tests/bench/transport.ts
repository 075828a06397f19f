// How protocol v1 frames travel to each kind of relay: as WebSocket text
// frames at /ws/<room>, or inside socket.io's "message" events. The load
// generator speaks both over the same raw socket, so socket.io is driven by
// a client as lean as the others (engine.io v4 framing: "0" open, "40"
// connect, "2"/"3" ping/pong, "42" event).

export type TransportName = 'websocket' | 'socketio';

export interface Transport {
  path(room: string): string;
  /** The wire text carrying a protocol frame. */
  wrap(protocolText: string): string;
  /** How a delivered `add` frame starts on the wire. */
  addPrefix: Buffer;
  /**
   * The protocol frame a wire text carries, or undefined for the transport's
   * own frames, to which `reply` answers where needed.
   */
  unwrap(wireText: string, reply: (wireText: string) => void): string | undefined;
}

const websocket: Transport = {
  path: (room) => `/ws/${room}`,
  wrap: (text) => text,
  addPrefix: Buffer.from('["add"'),
  unwrap: (text) => text,
};

const socketio: Transport = {
  path: (room) => `/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(room)}`,
  wrap: (text) => `42["message",${JSON.stringify(text)}]`,
  addPrefix: Buffer.from('42["message","[\\"add\\"'),
  unwrap(text, reply) {
    if (text.startsWith('42')) return (JSON.parse(text.slice(2)) as [string, string])[1];
    if (text.startsWith('0'))
      reply('40'); // engine.io open: join the default namespace
    else if (text === '2') reply('3');
    return undefined;
  },
};

export const transports: Record<TransportName, Transport> = { websocket, socketio };

/** Whether `data[start..)` begins with `prefix`. */
export function startsWith(data: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[start + i] !== prefix[i]) return false;
  return true;
}
