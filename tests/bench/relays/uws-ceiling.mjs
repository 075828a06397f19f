// Comparison code: exists only for `npm run bench`. The ceiling: protocol v1
// on raw uWebSockets.js pub/sub with no validation, limits or checks at all,
// only the parsing needed to route (see shared.mjs). What this library can do
// at best, for the onetimechat relay to be measured against.
// Run: PORT=0 <relayNode()> tests/bench/relays/uws-ceiling.mjs (after `npm run build`).
import uws from 'uWebSockets.js';
import { listening, protocol, protocolRelay, settings } from './shared.mjs';

/** @typedef {{ room: string, peer: import('./shared.mjs').Peer | undefined }} Connection */
/** @typedef {import('uWebSockets.js').WebSocket<Connection>} Socket */

const app = uws.App();

/** @type {import('./shared.mjs').Transport<Socket>} */
const transport = {
  subscribe: (ws, room) => ws.subscribe(room),
  toRoom: (room, frame) => app.publish(room, frame),
  toOthers: (sender, room, frame) => sender.publish(room, frame),
  toPeer: (ws, frame) => ws.send(frame),
};
const relay = protocolRelay(transport);

const sendPrefix = '["send",';
const fetchPrefix = '["fetch"';
/** `,"<peer id>"]`: the end of a unicast frame. */
const unicastSuffixLength = 40;

/**
 * The peer id a unicast frame ends with (`,"<36-character id>"]`), else
 * undefined. No broadcast frame ends that way: every quote inside a payload
 * is escaped, so the only bare quote after a comma is the payload's opening
 * one, right after the prefix.
 * @param {string} text
 */
function unicastTarget(text) {
  const isUnicast =
    text.length >= sendPrefix.length + '""'.length + unicastSuffixLength &&
    text.startsWith(',"', text.length - unicastSuffixLength);
  return isUnicast ? text.slice(2 - unicastSuffixLength, -2) : undefined;
}

/**
 * Routes a frame by its shape alone, trusting it was written by JSON.stringify
 * of a valid client frame: whatever is not a send is a fetch.
 * @param {Socket} ws @param {import('./shared.mjs').Peer} peer @param {string} text
 */
function route(ws, peer, text) {
  if (text.startsWith(sendPrefix)) {
    const to = unicastTarget(text);
    relay.send(ws, peer, text.slice(sendPrefix.length, to === undefined ? -1 : -unicastSuffixLength), to);
  } else {
    const hasSummary = text.length > fetchPrefix.length + 1;
    relay.fetch(ws, peer, hasSummary ? text.slice(fetchPrefix.length + 1, -1) : undefined);
  }
}

app.ws('/*', {
  maxPayloadLength: settings.frameLimit,
  upgrade: (res, req, context) => {
    /** @type {Connection} */
    const connection = { room: req.getUrl().slice('/ws/'.length), peer: undefined };
    res.upgrade(
      connection,
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    const connection = ws.getUserData();
    connection.peer = relay.arrive(ws, connection.room);
    if (!connection.peer) ws.end(protocol.CloseCode.tryAgainLater, 'room full');
  },
  message: (ws, data) => {
    const { peer } = ws.getUserData();
    if (peer) route(ws, peer, Buffer.from(data).toString());
  },
  close: (ws) => {
    const { peer } = ws.getUserData();
    if (peer) relay.depart(peer);
  },
});

app.listen(settings.host, settings.port, (listenSocket) => {
  if (!listenSocket) throw new Error(`cannot listen on ${settings.host}:${settings.port}`);
  listening(uws.us_socket_local_port(listenSocket));
});
