// Comparison code: exists only for `npm run bench`. Protocol v1 on the `ws`
// package, validated like the onetimechat relay (see shared.mjs).
// Run: PORT=0 node tests/bench/relays/ws.mjs (after `npm run build`).
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { listening, protocol, protocolRelay, settings } from './shared.mjs';

/** @typedef {import('ws').WebSocket} Socket */

/** @type {Map<string, Set<Socket>>} room -> its open sockets */
const members = new Map();

/**
 * Encoded once for the whole room, as a ws application that fans out would do.
 * @param {Iterable<Socket>} sockets @param {Socket | undefined} except @param {string} frame
 */
function sendToAll(sockets, except, frame) {
  const bytes = Buffer.from(frame);
  for (const socket of sockets) if (socket !== except) socket.send(bytes, { binary: false });
}

/** @type {import('./shared.mjs').Transport<Socket>} */
const transport = {
  subscribe: (socket, room) => {
    const sockets = members.get(room);
    if (sockets) sockets.add(socket);
    else members.set(room, new Set([socket]));
  },
  toRoom: (room, frame) => sendToAll(members.get(room) ?? [], undefined, frame),
  toOthers: (sender, room, frame) => sendToAll(members.get(room) ?? [], sender, frame),
  toPeer: (socket, frame) => socket.send(frame),
};
const relay = protocolRelay(transport);

/** @param {Socket} socket @param {string} room */
function unsubscribe(socket, room) {
  const sockets = members.get(room);
  sockets?.delete(socket);
  if (sockets?.size === 0) members.delete(room);
}

/** @param {Socket} socket @param {string} room */
function connected(socket, room) {
  const peer = relay.arrive(socket, room);
  if (!peer) return socket.close(protocol.CloseCode.tryAgainLater, 'room full');
  socket.on('message', (data, isBinary) => relay.receive(socket, peer, isBinary ? undefined : String(data)));
  socket.on('close', () => {
    unsubscribe(socket, room);
    relay.depart(peer);
  });
}

// ws closes frames over maxPayload with 1009 itself, as the onetimechat relay does.
const sockets = new WebSocketServer({ noServer: true, maxPayload: settings.frameLimit });
const server = createServer((_request, response) => response.writeHead(404).end());
server.on('upgrade', (request, socket, head) => {
  const room = protocol.roomFromPath(request.url ?? '');
  if (room === undefined) return socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  sockets.handleUpgrade(request, socket, head, (ws) => connected(ws, room));
});
server.listen(settings.port, settings.host, () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') listening(address.port);
});
