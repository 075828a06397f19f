// Comparison code: exists only for `npm run bench`. Protocol v1 on socket.io 4,
// validated like the onetimechat relay (see shared.mjs). A client connects with
// io(url, { transports: ['websocket'], query: { room } }); every protocol frame
// travels as its JSON text in a 'message' event (socket.send), both ways.
// Run: PORT=0 node tests/bench/relays/socketio.mjs (after `npm run build`).
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { listening, protocol, protocolRelay, settings } from './shared.mjs';

/** @typedef {import('socket.io').Socket} Socket */

const server = createServer();
const io = new Server(server, {
  transports: ['websocket'],
  serveClient: false,
  // The frame travels JSON-escaped inside a socket.io packet, up to twice its length.
  maxHttpBufferSize: 2 * settings.frameLimit,
});

/** @type {import('./shared.mjs').Transport<Socket>} */
const transport = {
  subscribe: (socket, room) => socket.join(room),
  // A room has no send(); emit('message') is what send() does.
  toRoom: (room, frame) => io.to(room).emit('message', frame),
  toOthers: (sender, room, frame) => sender.to(room).emit('message', frame),
  toPeer: (socket, frame) => socket.send(frame),
};
const relay = protocolRelay(transport);

io.on('connection', (socket) => {
  const { room } = socket.handshake.query;
  const peer = typeof room === 'string' && protocol.isRoomId(room) ? relay.arrive(socket, room) : undefined;
  if (!peer) {
    socket.disconnect(true);
    return;
  }
  socket.on('message', (data) => relay.receive(socket, peer, typeof data === 'string' ? data : undefined));
  // socket.io has already taken the socket out of its rooms.
  socket.on('disconnect', () => relay.depart(peer));
});

server.listen(settings.port, settings.host, () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') listening(address.port);
});
