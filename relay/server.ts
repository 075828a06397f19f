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
  type Limits,
} from '../protocol/index.ts';
import { ConnectionCounter, clientAddress, isOriginAllowed } from './admission.ts';
import type { RelayConfig } from './config.ts';
import { RelayCounters, type UpgradeRefusal } from './counters.ts';
import { serveHttp } from './http.ts';
import { callInfo } from './ice.ts';
import type { RelayState } from './metrics.ts';
import {
  fetchLimit,
  recordRefusal,
  takeFrame,
  takeToken,
  type FrameBudget,
  type RefusalWindow,
  type TokenBucket,
} from './rate-limit.ts';
import { RoomNames, type RoomName } from './room-names.ts';
import { issueToken, newSecret, verifyToken } from './resume.ts';
import { Hub, type ClusterLink } from './hub.ts';

type Uws = typeof import('uWebSockets.js');

/** Everything the relay keeps per socket, in one record: its rate limit state included. */
interface Peer extends TokenBucket, RefusalWindow {
  id: string;
  name: RoomName;
  address: string;
  /** The id a genuine resume token names, checked against the room on open, then dropped. */
  resumeId: string | undefined;
  /** `fetch` makes every peer answer with its history, so it has a far smaller allowance of its own. */
  fetchBucket: TokenBucket;
  /** The bytes of frames it may send, beside the frames themselves. */
  byteBucket: TokenBucket;
  /** Set once the hub has admitted the peer and init was sent. */
  joined: boolean;
  closed: boolean;
  /** Another socket resumed this id; this one's close changes nothing. */
  replaced: boolean;
}

type Socket = WebSocket<Peer>;

export interface RunningServer {
  port: number;
  counters: RelayCounters;
  state: RelayState;
  /** Fails readiness and refuses new sockets with 503; the open ones carry on. */
  drain(): void;
  /** Stops accepting, closes every socket with 1001, resolves when all are gone. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** Frames up to this many times the protocol's limit are read, and closed with 1009. */
const uwsFrameLimitFactor = 4;

/**
 * ws.send's answer when the socket was over MAX_BACKPRESSURE and is dropped.
 * A drop during a room publish is not reported to the relay: uWebSockets.js
 * closes the socket as if the connection were lost (1006).
 */
const droppedByBackpressure = 2;

/** Only a connection lost without a close handshake keeps its id for a resume. */
const lostConnection = 1006;

const refusals: Record<UpgradeRefusal, [status: string, reason: string]> = {
  bad_room: ['400 Bad Request', 'A room socket is /ws/<room>, with 1 to 64 of A-Z a-z 0-9 _ -'],
  origin: ['403 Forbidden', 'This origin may not open sockets here'],
  address_full: ['429 Too Many Requests', 'Too many connections from this address'],
  server_full: ['503 Service Unavailable', 'The relay is full'],
  draining: ['503 Service Unavailable', 'The relay is stopping; try another'],
};

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
  const counters = new RelayCounters();
  const names = new RoomNames();
  // Bytes sent are counted as frame length times the sockets it goes to, read
  // from uWebSockets.js's topic tree so delivery stays in native code.
  const send = (ws: Socket, frame: string): void => {
    counters.bytesSent += Buffer.byteLength(frame);
    if (ws.send(frame) === droppedByBackpressure) counters.backpressureDrops++;
  };
  const hub = new Hub<Socket>(
    config.roomMaxPeers,
    config.resumeGraceMs,
    {
      toRoom: (room, frame) => {
        const topic = names.topic(room);
        counters.bytesSent += Buffer.byteLength(frame) * app.numSubscribers(topic);
        app.publish(topic, frame);
      },
      toOthers: (sender, frame) => {
        const { topic } = sender.getUserData().name;
        counters.bytesSent += Buffer.byteLength(frame) * Math.max(0, app.numSubscribers(topic) - 1);
        sender.publish(topic, frame);
      },
      toPeer: send,
      replace: (ws) => {
        ws.getUserData().replaced = true;
        ws.end(CloseCode.replaced, 'resumed on another connection');
      },
    },
    counters,
  );
  const connections = new ConnectionCounter(config.maxConnections, config.maxConnectionsPerAddress);
  // RATE_LIMIT=0 turns rate limiting off, the byte budget included.
  const budget: FrameBudget = {
    rate: config.rateLimit,
    burst: config.rateBurst,
    byteRate: config.rateLimit === 0 ? 0 : config.rateBytes,
    byteBurst: config.rateBurstBytes,
  };
  const limits: Limits = { maxPayload: config.maxPayload, ...budget };
  const rateRefusals: Record<'frames' | 'bytes', string> = {
    frames: `at most ${budget.rate} frames per second; this one was dropped`,
    bytes: `at most ${budget.byteRate} bytes of frames per second; this one was dropped`,
  };
  const frameLimit = maxFrameLength(config.maxPayload);
  // A client sending past its rate for five seconds' worth of frames within
  // the refusal window is abusing the relay, not bursting.
  const refusalAllowance = Math.max(config.rateBurst, config.rateLimit * 5);
  let draining = false;
  let stopping = false;

  function reply(ws: Socket, code: ErrorCode, message: string): void {
    counters.framesRefused[code]++;
    send(ws, encodeError(code, message));
  }

  function handle(ws: Socket, peer: Peer, request: ClientRequest): void {
    counters.framesReceived[request.type]++;
    switch (request.type) {
      case 'send': {
        const frame = encodeAdd(peer.id, request.payloadJson, Date.now());
        if (request.to === undefined) hub.broadcast(peer.name.room, frame);
        else if (!hub.unicast(peer.name.room, request.to, frame))
          reply(ws, 'no_such_peer', 'that peer is not in this room');
        return;
      }
      case 'fetch':
        if (config.rateLimit > 0 && !takeToken(peer.fetchBucket, fetchLimit.rate, fetchLimit.burst, Date.now())) {
          return reply(ws, 'rate_limited', fetchLimit.refusal);
        }
        hub.fetch(peer.name.room, ws, peer.id, encodeFetch(peer.id, request.summaryJson));
        return;
      default:
        assertNever(request);
    }
  }

  function refuseUpgrade(res: HttpResponse, refusal: UpgradeRefusal): void {
    counters.upgradesRefused[refusal]++;
    const [status, reason] = refusals[refusal];
    res.writeStatus(status).writeHeader('Content-Type', 'text/plain; charset=utf-8').end(reason);
  }

  function upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    if (draining) return refuseUpgrade(res, 'draining');
    const room = roomFromPath(req.getUrl());
    if (room === undefined) return refuseUpgrade(res, 'bad_room');
    if (!isOriginAllowed(req.getHeader('origin'), req.getHeader('host'), config.allowedOrigins)) {
      return refuseUpgrade(res, 'origin');
    }
    const address = clientAddress(
      Buffer.from(res.getRemoteAddressAsText()).toString(),
      req.getHeader('fly-client-ip'),
      req.getHeader('x-forwarded-for'),
      config.trustProxy,
    );
    const admission = connections.admit(address);
    if (admission !== 'ok') return refuseUpgrade(res, admission);
    counters.upgradesAccepted++;
    const resumeToken = req.getQuery('resume');
    const resumeId = resumeToken ? verifyToken(secret, room, resumeToken, Date.now()) : undefined;
    if (resumeToken && resumeId === undefined) counters.resumesRefused++;
    const now = Date.now();
    const peer: Peer = {
      id: uuidv4(),
      name: names.acquire(room),
      address,
      resumeId,
      tokens: config.rateBurst,
      tokensAt: now,
      fetchBucket: { tokens: fetchLimit.burst, tokensAt: now },
      byteBucket: { tokens: config.rateBurstBytes, tokensAt: now },
      refusalsSince: now,
      refused: 0,
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
        room: peer.name.room,
        newId: peer.id,
        resumeId: peer.resumeId,
        // A relay that started less than a grace period ago cannot know who was
        // away; it trusts the signature so clients survive a restart.
        trustAnyResume: Date.now() - startedAt < config.resumeGraceMs,
      },
      ws,
    );
    if (peer.closed) {
      if (joined) hub.leave(peer.name.room, joined.id);
      return;
    }
    if (!joined) {
      reply(ws, 'room_full', `this room already has ${config.roomMaxPeers} peers`);
      ws.end(CloseCode.tryAgainLater, 'room full');
      return;
    }
    if (peer.resumeId !== undefined) {
      if (joined.resumed) counters.resumesGranted++;
      else counters.resumesRefused++;
      peer.resumeId = undefined;
    }
    peer.id = joined.id;
    peer.joined = true;
    ws.subscribe(peer.name.topic);
    const info: InitInfo = {
      v: PROTOCOL_VERSION,
      limits,
      resume: issueToken(secret, peer.name.room, peer.id, Date.now()),
      resumed: joined.resumed,
      graceMs: config.resumeGraceMs,
      call: callInfo(config, Date.now() / 1000),
    };
    send(ws, encodeInit(peer.id, joined.others, info));
    // A resumed peer never left, so the others hear of no arrival.
    if (!joined.resumed) hub.fetch(peer.name.room, ws, peer.id, encodeFetch(peer.id));
  }

  function close(ws: Socket, code: number): void {
    const peer = ws.getUserData();
    peer.closed = true;
    counters.countClose(code);
    connections.release(peer.address);
    names.release(peer.name);
    // A stopping relay leaves its members in place: they resume on the relay
    // that comes back, or on another relay that notices this one is gone.
    if (!peer.joined || peer.replaced || stopping) return;
    if (code === lostConnection) hub.lose(peer.name.room, peer.id);
    else hub.leave(peer.name.room, peer.id);
  }

  function message(ws: Socket, data: ArrayBuffer, isBinary: boolean): void {
    const peer = ws.getUserData();
    counters.bytesReceived += data.byteLength;
    if (data.byteLength > frameLimit) return ws.end(CloseCode.tooLarge, 'frame too large');
    const now = Date.now();
    const refused = takeFrame(peer, peer.byteBucket, budget, data.byteLength, now);
    if (refused !== undefined) {
      if (recordRefusal(peer, refusalAllowance, now)) {
        counters.rateLimitCloses++;
        ws.end(CloseCode.policyViolation, 'rate limit exceeded for too long');
        return;
      }
      return reply(ws, 'rate_limited', rateRefusals[refused]);
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

  // Ready once it takes sockets and, with Redis, once it has reached Redis:
  // a later outage leaves it ready, serving its own members.
  serveHttp(app, config.clientDir, () => !draining && (hub.cluster?.connectedOnce ?? true));
  // Connected before the first socket, so the first joins already see the whole room.
  if (connectCluster) hub.connectCluster(await connectCluster(hub));
  const state: RelayState = {
    socketsOpen: () => connections.total,
    roomSizes: () => hub.rooms.sizes(),
    redisConnected: () => hub.cluster?.online,
  };

  return new Promise((resolve, reject) => {
    listenExclusively(app, config.host, config.port, (listenSocket) => {
      if (!listenSocket) {
        return reject(new Error(`cannot listen on ${config.host}:${config.port}: is another process using it?`));
      }
      resolve({
        port: uws.us_socket_local_port(listenSocket),
        counters,
        state,
        drain: () => (draining = true),
        shutdown: async (deadlineMs) => {
          draining = true;
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
