// The uWebSockets.js adapter: sockets in, frames out. Room membership, rate
// limiting and the wire format live in their own modules; this file wires
// them to the library and never looks inside a payload.
import type { HttpResponse, TemplatedApp, WebSocket, us_listen_socket } from 'uWebSockets.js';
import { v4 as uuidv4 } from 'uuid';
import {
  CloseCode,
  PROTOCOL_VERSION,
  assertNever,
  decodeClientFrame,
  encodeAdd,
  encodeError,
  encodeFetch,
  encodeInit,
  encodeRm,
  maxFrameLength,
  roomFromPath,
  type ClientRequest,
  type ErrorCode,
  type InitInfo,
} from '../protocol/index.ts';
import type { RelayConfig } from './config.ts';
import { newBucket, takeToken, type TokenBucket } from './rate-limit.ts';
import { Rooms } from './rooms.ts';
import { loadStaticFiles } from './static-files.ts';

type Uws = typeof import('uWebSockets.js');

interface Peer {
  id: string;
  room: string;
  topic: string;
  bucket: TokenBucket;
  /** False for a socket turned away (room full) before it joined. */
  joined: boolean;
}

type Socket = WebSocket<Peer>;

export interface RunningServer {
  port: number;
  /** Stops accepting, closes every socket with 1001, resolves when all are gone. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** A slow reader may fall this far behind before the relay drops it. */
const maxBackpressureFrames = 16;

export function startServer(uws: Uws, config: RelayConfig): Promise<RunningServer> {
  const app = uws.App();
  const rooms = new Rooms<Socket>(config.roomMaxPeers);
  const info: InitInfo = {
    v: PROTOCOL_VERSION,
    limits: { maxPayload: config.maxPayload, rate: config.rateLimit, burst: config.rateBurst },
  };
  const frameLimit = maxFrameLength(config.maxPayload);

  function reply(ws: Socket, code: ErrorCode, message: string): void {
    ws.send(encodeError(code, message));
  }

  function handle(ws: Socket, peer: Peer, request: ClientRequest): void {
    switch (request.type) {
      case 'send': {
        const frame = encodeAdd(peer.id, request.payloadJson, Date.now());
        if (request.to === undefined) {
          app.publish(peer.topic, frame);
          return;
        }
        const target = rooms.find(peer.room, request.to);
        if (target) target.send(frame);
        else reply(ws, 'no_such_peer', 'that peer is not in this room');
        return;
      }
      case 'fetch':
        ws.publish(peer.topic, encodeFetch(peer.id, request.summaryJson));
        return;
      default:
        assertNever(request);
    }
  }

  app.ws<Peer>('/*', {
    maxPayloadLength: frameLimit,
    maxBackpressure: frameLimit * maxBackpressureFrames,
    closeOnBackpressureLimit: true,
    idleTimeout: 32,
    sendPingsAutomatically: true,

    upgrade(res, req, context) {
      const room = roomFromPath(req.getUrl());
      if (room === undefined) {
        res.writeStatus('400 Bad Request').end('A room socket is /ws/<room>, with 1 to 64 of A-Z a-z 0-9 _ -');
        return;
      }
      const peer: Peer = {
        id: uuidv4(),
        room,
        topic: `room/${room}`,
        bucket: newBucket(config.rateBurst, Date.now()),
        joined: false,
      };
      res.upgrade(
        peer,
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },

    open(ws) {
      const peer = ws.getUserData();
      const others = rooms.join(peer.room, peer.id, ws);
      if (others === undefined) {
        reply(ws, 'room_full', `this room already has ${config.roomMaxPeers} peers`);
        ws.end(CloseCode.tryAgainLater, 'room full');
        return;
      }
      peer.joined = true;
      ws.subscribe(peer.topic);
      ws.send(encodeInit(peer.id, others, info));
      ws.publish(peer.topic, encodeFetch(peer.id));
    },

    message(ws, message, isBinary) {
      const peer = ws.getUserData();
      if (isBinary) return reply(ws, 'bad_frame', 'frames are text, not binary');
      if (!takeToken(peer.bucket, config.rateLimit, config.rateBurst, Date.now())) {
        return reply(ws, 'rate_limited', `at most ${config.rateLimit} frames per second; this one was dropped`);
      }
      const request = decodeClientFrame(Buffer.from(message).toString('utf8'), config.maxPayload);
      if (request.type === 'error') return reply(ws, request.code, request.message);
      handle(ws, peer, request);
    },

    close(ws) {
      const peer = ws.getUserData();
      if (peer.joined && rooms.leave(peer.room, peer.id)) app.publish(peer.topic, encodeRm(peer.id));
    },
  });

  const staticFiles = loadStaticFiles(config.clientDir);

  app.get('/healthz', (res) => {
    res.writeHeader('Content-Type', 'text/plain; charset=utf-8').writeHeader('Cache-Control', 'no-store').end('ok');
  });
  app.get('/*', (res, req) => {
    const file = staticFiles.get(req.getUrl());
    if (!file) return notFound(res);
    res.cork(() => {
      res.writeStatus('200 OK');
      for (const [name, value] of file.headers) res.writeHeader(name, value);
      res.end(file.body);
    });
  });
  app.any('/*', (res) => {
    res.writeStatus('405 Method Not Allowed').writeHeader('Allow', 'GET').end();
  });

  return new Promise((resolve, reject) => {
    app.listen(config.host, config.port, (listenSocket) => {
      if (!listenSocket) return reject(new Error(`cannot listen on ${config.host}:${config.port}`));
      resolve({
        port: uws.us_socket_local_port(listenSocket),
        shutdown: (deadlineMs) => shutdown(uws, app, listenSocket, rooms, deadlineMs),
      });
    });
  });
}

function notFound(res: HttpResponse): void {
  res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8').end('not found');
}

async function shutdown(
  uws: Uws,
  app: TemplatedApp,
  listenSocket: us_listen_socket,
  rooms: Rooms<Socket>,
  deadlineMs: number,
): Promise<void> {
  uws.us_listen_socket_close(listenSocket);
  for (const ws of [...rooms.connections()]) ws.end(CloseCode.goingAway, 'relay stopping');
  const deadline = Date.now() + deadlineMs;
  while (rooms.roomCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  app.close();
}
