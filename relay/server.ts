// The uWebSockets.js adapter: sockets in, frames out. Room membership, limits,
// resume tokens and the wire format live in their own modules; this file wires
// them to the library and never looks inside a payload.
import type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  us_listen_socket,
  us_socket_context_t,
} from 'uWebSockets.js';
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
  maxFrameLength,
  roomFromPath,
  type ClientRequest,
  type ErrorCode,
  type InitInfo,
} from '../protocol/index.ts';
import { ConnectionCounter, clientAddress, isOriginAllowed } from './admission.ts';
import type { RelayConfig } from './config.ts';
import { callInfo } from './ice.ts';
import { newBucket, recordRefusal, takeToken, type RefusalWindow, type TokenBucket } from './rate-limit.ts';
import { issueToken, newSecret, verifyToken } from './resume.ts';
import { Hub, type ClusterLink } from './hub.ts';
import { contentSecurityPolicy, loadStaticFiles } from './static-files.ts';

type Uws = typeof import('uWebSockets.js');

interface Peer {
  id: string;
  room: string;
  topic: string;
  address: string;
  /** The id a genuine resume token names, checked against the room on open. */
  resumeId: string | undefined;
  bucket: TokenBucket;
  refusals: RefusalWindow;
  /** Set once the hub has admitted the peer and init was sent. */
  joined: boolean;
  closed: boolean;
  /** Another socket resumed this id; this one's close changes nothing. */
  replaced: boolean;
}

type Socket = WebSocket<Peer>;

export interface RunningServer {
  port: number;
  /** Stops accepting, closes every socket with 1001, resolves when all are gone. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** Frames up to this many times the protocol's limit are read, and closed with 1009. */
const uwsFrameLimitFactor = 4;

/** Only a connection lost without a close handshake keeps its id for a resume. */
const lostConnection = 1006;

const roomTopic = (room: string): string => `room/${room}`;

/** Joins the relays sharing rooms; resolves once connected or given up waiting. */
export type ClusterConnector = (hub: Hub<Socket>) => Promise<ClusterLink>;

export async function startServer(
  uws: Uws,
  config: RelayConfig,
  connectCluster?: ClusterConnector,
): Promise<RunningServer> {
  const app = uws.App();
  const startedAt = Date.now();
  const secret = config.relaySecret ?? newSecret();
  const hub = new Hub<Socket>(config.roomMaxPeers, config.resumeGraceMs, {
    toRoom: (room, frame) => app.publish(roomTopic(room), frame),
    toOthers: (sender, frame) => sender.publish(sender.getUserData().topic, frame),
    toPeer: (ws, frame) => ws.send(frame),
    replace: (ws) => {
      ws.getUserData().replaced = true;
      ws.end(CloseCode.replaced, 'resumed on another connection');
    },
  });
  const connections = new ConnectionCounter(config.maxConnections, config.maxConnectionsPerAddress);
  const limits = { maxPayload: config.maxPayload, rate: config.rateLimit, burst: config.rateBurst };
  const frameLimit = maxFrameLength(config.maxPayload);
  // A client sending past its rate for five seconds' worth of frames within
  // the refusal window is abusing the relay, not bursting.
  const refusalAllowance = Math.max(config.rateBurst, config.rateLimit * 5);
  let stopping = false;

  function reply(ws: Socket, code: ErrorCode, message: string): void {
    ws.send(encodeError(code, message));
  }

  function handle(ws: Socket, peer: Peer, request: ClientRequest): void {
    switch (request.type) {
      case 'send': {
        const frame = encodeAdd(peer.id, request.payloadJson, Date.now());
        if (request.to === undefined) hub.broadcast(peer.room, frame);
        else if (!hub.unicast(peer.room, request.to, frame)) reply(ws, 'no_such_peer', 'that peer is not in this room');
        return;
      }
      case 'fetch':
        hub.fetch(peer.room, ws, peer.id, encodeFetch(peer.id, request.summaryJson));
        return;
      default:
        assertNever(request);
    }
  }

  function refuseUpgrade(res: HttpResponse, status: string, reason: string): void {
    res.writeStatus(status).writeHeader('Content-Type', 'text/plain; charset=utf-8').end(reason);
  }

  function upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const room = roomFromPath(req.getUrl());
    if (room === undefined) {
      return refuseUpgrade(res, '400 Bad Request', 'A room socket is /ws/<room>, with 1 to 64 of A-Z a-z 0-9 _ -');
    }
    if (!isOriginAllowed(req.getHeader('origin'), req.getHeader('host'), config.allowedOrigins)) {
      return refuseUpgrade(res, '403 Forbidden', 'This origin may not open sockets here');
    }
    const address = clientAddress(
      Buffer.from(res.getRemoteAddressAsText()).toString(),
      req.getHeader('fly-client-ip'),
      req.getHeader('x-forwarded-for'),
      config.trustProxy,
    );
    const admission = connections.admit(address);
    if (admission === 'server_full') return refuseUpgrade(res, '503 Service Unavailable', 'The relay is full');
    if (admission === 'address_full') {
      return refuseUpgrade(res, '429 Too Many Requests', 'Too many connections from this address');
    }
    const resumeToken = req.getQuery('resume');
    const now = Date.now();
    const peer: Peer = {
      id: uuidv4(),
      room,
      topic: roomTopic(room),
      address,
      resumeId: resumeToken ? verifyToken(secret, room, resumeToken) : undefined,
      bucket: newBucket(config.rateBurst, now),
      refusals: { startedAt: now, refused: 0 },
      joined: false,
      closed: false,
      replaced: false,
    };
    res.upgrade(
      peer,
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  }

  async function open(ws: Socket): Promise<void> {
    const peer = ws.getUserData();
    const joined = await hub.join(
      {
        room: peer.room,
        newId: peer.id,
        resumeId: peer.resumeId,
        // A relay that started less than a grace period ago cannot know who was
        // away; it trusts the signature so clients survive a restart.
        trustAnyResume: Date.now() - startedAt < config.resumeGraceMs,
      },
      ws,
    );
    if (peer.closed) {
      if (joined) hub.leave(peer.room, joined.id);
      return;
    }
    if (!joined) {
      reply(ws, 'room_full', `this room already has ${config.roomMaxPeers} peers`);
      ws.end(CloseCode.tryAgainLater, 'room full');
      return;
    }
    peer.id = joined.id;
    peer.joined = true;
    ws.subscribe(peer.topic);
    const info: InitInfo = {
      v: PROTOCOL_VERSION,
      limits,
      resume: issueToken(secret, peer.room, peer.id),
      resumed: joined.resumed,
      graceMs: config.resumeGraceMs,
      call: callInfo(config, Date.now() / 1000),
    };
    ws.send(encodeInit(peer.id, joined.others, info));
    // A resumed peer never left, so the others hear of no arrival.
    if (!joined.resumed) hub.fetch(peer.room, ws, peer.id, encodeFetch(peer.id));
  }

  function close(ws: Socket, code: number): void {
    const peer = ws.getUserData();
    peer.closed = true;
    connections.release(peer.address);
    // A stopping relay leaves its members in place: they resume on the relay
    // that comes back, or on another relay that notices this one is gone.
    if (!peer.joined || peer.replaced || stopping) return;
    if (code === lostConnection) hub.lose(peer.room, peer.id);
    else hub.leave(peer.room, peer.id);
  }

  function message(ws: Socket, data: ArrayBuffer, isBinary: boolean): void {
    const peer = ws.getUserData();
    if (data.byteLength > frameLimit) return ws.end(CloseCode.tooLarge, 'frame too large');
    const now = Date.now();
    if (!takeToken(peer.bucket, config.rateLimit, config.rateBurst, now)) {
      if (recordRefusal(peer.refusals, refusalAllowance, now)) {
        ws.end(CloseCode.policyViolation, 'rate limit exceeded for too long');
        return;
      }
      return reply(ws, 'rate_limited', `at most ${config.rateLimit} frames per second; this one was dropped`);
    }
    if (!peer.joined) return reply(ws, 'bad_frame', 'wait for init before sending');
    if (isBinary) return reply(ws, 'bad_frame', 'frames are text, not binary');
    const request = decodeClientFrame(Buffer.from(data).toString('utf8'), config.maxPayload);
    if (request.type === 'error') return reply(ws, request.code, request.message);
    handle(ws, peer, request);
  }

  app.ws<Peer>('/*', {
    // uWebSockets.js cuts a connection without a close handshake when a frame
    // is over its limit, so it gets a wider one and the relay closes frames
    // over the protocol's limit itself, with 1009.
    maxPayloadLength: frameLimit * uwsFrameLimitFactor,
    maxBackpressure: Math.max(config.maxBackpressure, frameLimit),
    closeOnBackpressureLimit: true,
    idleTimeout: config.idleTimeoutS,
    sendPingsAutomatically: true,
    upgrade,
    open: (ws) => void open(ws),
    message,
    close,
  });

  serveHttp(app, config.clientDir);
  // Connected before the first socket, so the first joins already see the whole room.
  if (connectCluster) hub.connectCluster(await connectCluster(hub));

  return new Promise((resolve, reject) => {
    listenExclusively(app, config.host, config.port, (listenSocket) => {
      if (!listenSocket) {
        return reject(new Error(`cannot listen on ${config.host}:${config.port}: is another process using it?`));
      }
      resolve({
        port: uws.us_socket_local_port(listenSocket),
        shutdown: async (deadlineMs) => {
          stopping = true;
          hub.stopTimers();
          uws.us_listen_socket_close(listenSocket);
          for (const ws of [...hub.rooms.connections()]) ws.end(CloseCode.goingAway, 'relay stopping');
          const deadline = Date.now() + deadlineMs;
          while (connections.total > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          app.close();
          await hub.cluster?.stop();
        },
      });
    });
  });
}

type ListenCallback = (listenSocket: us_listen_socket | false) => void;

/**
 * uWebSockets.js listens with SO_REUSEPORT unless told otherwise, so a second
 * relay started on a busy port would silently take half the connections and
 * split rooms in two. The binding takes listen options after host and port,
 * which its typings do not declare.
 */
function listenExclusively(app: TemplatedApp, host: string, port: number, callback: ListenCallback): void {
  const exclusivePort = 1; // LIBUS_LISTEN_EXCLUSIVE_PORT
  const listen = app.listen as unknown as (host: string, port: number, options: number, cb: ListenCallback) => void;
  listen.call(app, host, port, exclusivePort, callback);
}

function serveHttp(app: TemplatedApp, clientDir: string): void {
  const staticFiles = loadStaticFiles(clientDir);
  app.get('/healthz', (res) => {
    res.writeHeader('Content-Type', 'text/plain; charset=utf-8').writeHeader('Cache-Control', 'no-store').end('ok');
  });
  app.get('/*', (res, req) => {
    const file = staticFiles.get(req.getUrl());
    if (!file) {
      res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8').end('not found');
      return;
    }
    const policy = contentSecurityPolicy(req.getHeader('host'));
    res.cork(() => {
      res.writeStatus('200 OK');
      for (const [name, value] of file.headers) res.writeHeader(name, value);
      res.writeHeader('Content-Security-Policy', policy);
      res.end(file.body);
    });
  });
  app.any('/*', (res) => {
    res.writeStatus('405 Method Not Allowed').writeHeader('Allow', 'GET').end();
  });
}
