// Comparison code: exists only for `npm run bench`, which measures the
// onetimechat relay against relays on ws, socket.io and raw uWebSockets.js.
//
// What the three comparison relays share: settings, membership and the
// routing of protocol v1 (init, fetch on arrival, add stamped by the relay,
// unicast or no_such_peer, fetch, rm), so they differ only in their transport.
// The ws and socket.io relays validate every frame with receive(), the same
// decoder the onetimechat relay uses; the ceiling routes without validating.
// None of them rate-limits, resumes or checks origins: the onetimechat relay
// does that work on top, so the comparison never flatters it.
import { v4 as uuidv4 } from 'uuid';

/**
 * A module of the built relay (`npm run build`), loaded at run time so type checks need no build.
 * @param {string} path
 */
function built(path) {
  return new URL(`../../../dist/server/${path}`, import.meta.url).href;
}

/** @type {typeof import('../../../protocol/index.ts')} */
export const protocol = await import(built('protocol/index.js'));
/** @type {typeof import('../../../relay/rooms.ts')} */
const { Rooms } = await import(built('relay/rooms.js'));
/** @type {typeof import('../../../relay/config.ts')} */
const { readConfig } = await import(built('relay/config.js'));

// The onetimechat relay's own settings and defaults, but on loopback unless told otherwise.
const config = readConfig({ HOST: '127.0.0.1', ...process.env });

export const settings = {
  host: config.host,
  port: config.port,
  maxPayload: config.maxPayload,
  /** Frames over this close with 1009, as on the onetimechat relay. */
  frameLimit: protocol.maxFrameLength(config.maxPayload),
};

/** Rate 0: these relays do not limit, and say so. */
const info = { v: protocol.PROTOCOL_VERSION, limits: { maxPayload: config.maxPayload, rate: 0, burst: 0 } };

/**
 * How a relay reaches its connections.
 * @template C
 * @typedef {object} Transport
 * @property {(connection: C, room: string) => void} subscribe from now on toRoom and toOthers reach the connection
 * @property {(room: string, frame: string) => void} toRoom
 * @property {(sender: C, room: string, frame: string) => void} toOthers
 * @property {(connection: C, frame: string) => void} toPeer
 */

/** @typedef {{ id: string, room: string }} Peer */

/**
 * Protocol v1 over a transport. Membership is the onetimechat relay's own `Rooms`.
 * @template C
 * @param {Transport<C>} transport
 */
export function protocolRelay(transport) {
  /** @type {import('../../../relay/rooms.ts').Rooms<C>} */
  const rooms = new Rooms(config.roomMaxPeers);

  /** @param {C} connection @param {import('../../../protocol/index.ts').ErrorCode} code @param {string} message */
  function reply(connection, code, message) {
    transport.toPeer(connection, protocol.encodeError(code, message));
  }

  /**
   * A payload from the peer: to the whole room, sender included, or to one peer.
   * @param {C} connection @param {Peer} peer @param {string} payloadJson @param {string | undefined} to
   */
  function send(connection, peer, payloadJson, to) {
    const frame = protocol.encodeAdd(peer.id, payloadJson, Date.now());
    if (to === undefined) return transport.toRoom(peer.room, frame);
    const target = rooms.find(peer.room, to);
    if (target === undefined) reply(connection, 'no_such_peer', 'that peer is not in this room');
    else transport.toPeer(target, frame);
  }

  /** @param {C} connection @param {Peer} peer @param {string | undefined} summaryJson */
  function fetch(connection, peer, summaryJson) {
    transport.toOthers(connection, peer.room, protocol.encodeFetch(peer.id, summaryJson));
  }

  return {
    send,
    fetch,

    /**
     * Admits a connection: init to it, fetch to the others. Undefined when the
     * room is full; room_full is sent and the caller closes with 1013.
     * @param {C} connection @param {string} room @returns {Peer | undefined}
     */
    arrive(connection, room) {
      const peer = { id: uuidv4(), room };
      const others = rooms.join(room, peer.id, connection);
      if (others === undefined) {
        reply(connection, 'room_full', 'this room is full');
        return undefined;
      }
      transport.subscribe(connection, room);
      transport.toPeer(connection, protocol.encodeInit(peer.id, others, info));
      fetch(connection, peer, undefined);
      return peer;
    },

    /** After the connection closed: the others hear rm. @param {Peer} peer */
    depart(peer) {
      rooms.leave(peer.room, peer.id);
      transport.toRoom(peer.room, protocol.encodeRm(peer.id));
    },

    /**
     * A frame from the peer, validated as the onetimechat relay does.
     * @param {C} connection @param {Peer} peer @param {string | undefined} text undefined for a binary frame
     */
    receive(connection, peer, text) {
      if (text === undefined) return reply(connection, 'bad_frame', 'frames are text, not binary');
      const request = protocol.decodeClientFrame(text, config.maxPayload);
      if (request.type === 'error') return reply(connection, request.code, request.message);
      if (request.type === 'send') send(connection, peer, request.payloadJson, request.to);
      else fetch(connection, peer, request.summaryJson);
    },
  };
}

/**
 * Prints the line the bench harness and the tests read the port from, and
 * exits on SIGTERM or SIGINT; the kernel closes the sockets.
 * @param {number} port
 */
export function listening(port) {
  console.log(`listening on http://${settings.host}:${port}`);
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));
}
