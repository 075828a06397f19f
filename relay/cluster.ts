// Rooms spanning several relays, over Redis. Redis holds only what routing
// needs, all of it with an expiry: each relay's heartbeat key, and for each
// room a hash of member id -> the relay that answers for it ("<relay>" while
// connected there, "away:<relay>" while that relay holds the id for a resume).
// Room events travel over sharded pub/sub, one channel per room, published
// once per event; each relay delivers them to its own sockets in native code.
// The publishes of one event-loop turn go out as one pipeline: one write and
// one read instead of a round trip each, in the order they were made.
// Keys and channel of a room share a hash tag, so this runs on Redis Cluster.
import { Redis } from 'ioredis';
import type { ClusterLink, Hub, JoinRequest, Joined, RemoteEvent } from './hub.ts';

export const heartbeatIntervalMs = 2000;
/** A relay whose heartbeat is this old is dead: noticed within 8 seconds. */
export const heartbeatTtlMs = 6000;
const roomTtlMs = 60_000;

const relayKey = (relay: string): string => `otc:relay:${relay}`;
const membersKey = (room: string): string => `otc:{${room}}:members`;
const eventsChannel = (room: string): string => `otc:{${room}}:events`;
const roomOfChannel = (channel: string): string => channel.slice(channel.indexOf('{') + 1, channel.indexOf('}'));
const awayOwner = (relay: string): string => `away:${relay}`;
const ownerRelay = (owner: string): string => (owner.startsWith('away:') ? owner.slice(5) : owner);

// KEYS[1] members; ARGV: newId, resumeId or '', trustAnyResume '1'|'0', owner, maxPeers, ttl.
const joinScript = `
local id = ARGV[1]
local resumed = 0
if ARGV[2] ~= '' and (redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 or ARGV[3] == '1') then
  id = ARGV[2]
  resumed = 1
end
if redis.call('HEXISTS', KEYS[1], id) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
  return false
end
redis.call('HSET', KEYS[1], id, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
local result = {id, tostring(resumed)}
for _, member in ipairs(redis.call('HKEYS', KEYS[1])) do
  if member ~= id then table.insert(result, member) end
end
return result`;

// Takes over a member for a grace period if it is owned by one of ARGV[3..].
// KEYS[1] members; ARGV: id, new owner, accepted owners...
const claimScript = `
local owner = redis.call('HGET', KEYS[1], ARGV[1])
for i = 3, #ARGV do
  if owner == ARGV[i] then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    return 1
  end
end
return 0`;

// Removes a member unless another relay owns it now. KEYS[1] members; ARGV: id, owners...
const releaseScript = `
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner == false then return 1 end
for i = 2, #ARGV do
  if owner == ARGV[i] then
    redis.call('HDEL', KEYS[1], ARGV[1])
    return 1
  end
end
return 0`;

const eventCodes = { frame: 'f', fetch: 'q', unicast: 'u', left: 'l', resumed: 'r' } as const;

/** Wall-clock milliseconds with microseconds, for the delay between relays. */
const preciseNow = (): number => performance.timeOrigin + performance.now();

/**
 * The origin field is `<relay id>@<publish time>`. A relay that predates the
 * time reads it as an unknown origin, which is all it needs, so relays of
 * both versions share rooms during a rolling deploy.
 */
function stampOrigin(relayId: string, publishedAt: number): string {
  return `${relayId}@${publishedAt.toFixed(3)}`;
}

function readOrigin(origin: string): { relayId: string; publishedAt: number | undefined } {
  const at = origin.indexOf('@');
  if (at < 0) return { relayId: origin, publishedAt: undefined };
  const publishedAt = Number(origin.slice(at + 1));
  return { relayId: origin.slice(0, at), publishedAt: Number.isFinite(publishedAt) ? publishedAt : undefined };
}

/** `<origin relay>\n<code>\n<id>\n<frame>`: the frame is forwarded as it is. */
export function encodeEvent(origin: string, event: RemoteEvent): string {
  switch (event.kind) {
    case 'frame':
      return `${origin}\n${eventCodes.frame}\n\n${event.frame}`;
    case 'fetch':
      return `${origin}\n${eventCodes.fetch}\n${event.requester}\n${event.frame}`;
    case 'unicast':
      return `${origin}\n${eventCodes.unicast}\n${event.to}\n${event.frame}`;
    case 'left':
      return `${origin}\n${eventCodes.left}\n${event.id}\n`;
    case 'resumed':
      return `${origin}\n${eventCodes.resumed}\n${event.id}\n`;
  }
}

export function decodeEvent(room: string, message: string): { origin: string; event: RemoteEvent } | undefined {
  const first = message.indexOf('\n');
  const second = message.indexOf('\n', first + 1);
  const third = message.indexOf('\n', second + 1);
  if (first < 0 || second < 0 || third < 0) return undefined;
  const origin = message.slice(0, first);
  const code = message.slice(first + 1, second);
  const id = message.slice(second + 1, third);
  const frame = message.slice(third + 1);
  switch (code) {
    case eventCodes.frame:
      return { origin, event: { kind: 'frame', room, frame } };
    case eventCodes.fetch:
      return { origin, event: { kind: 'fetch', room, requester: id, frame } };
    case eventCodes.unicast:
      return { origin, event: { kind: 'unicast', room, to: id, frame } };
    case eventCodes.left:
      return { origin, event: { kind: 'left', room, id } };
    case eventCodes.resumed:
      return { origin, event: { kind: 'resumed', room, id } };
    default:
      return undefined;
  }
}

/** Reconnection backoff: exponential up to 3 s, with jitter so relays do not return in step. */
function retryDelay(attempt: number): number {
  return Math.min(3000, 100 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2);
}

/** An error without the Redis server's address in it: a connection error is named by its code. */
function describeRedisError(error: Error & { code?: unknown; syscall?: unknown }): string {
  if (typeof error.syscall === 'string' && typeof error.code === 'string') return `${error.syscall} ${error.code}`;
  return error.message;
}

/** How long a starting relay waits for Redis before serving its own sockets alone. */
const connectTimeoutMs = 5000;

export class RedisCluster<Connection> implements ClusterLink {
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  /** This turn's publishes, [channel, message], sent together when the turn ends. */
  #outbox: [string, string][] = [];
  #connectedOnce = false;

  private constructor(
    url: string,
    readonly relayId: string,
    readonly hub: Hub<Connection>,
    onError: (message: string) => void,
  ) {
    // No offline queue: while Redis is away, commands fail at once and the
    // relay goes on serving its own sockets instead of queueing without bound.
    const options = { enableOfflineQueue: false, retryStrategy: retryDelay, maxRetriesPerRequest: 1 };
    this.#commands = new Redis(url, options);
    this.#subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
    let reported = false;
    for (const client of [this.#commands, this.#subscriber]) {
      client.on('error', (error: Error) => {
        if (!reported) onError(`redis: ${describeRedisError(error)}`);
        reported = true;
      });
      client.on('ready', () => (reported = false));
    }
    this.#commands.on('ready', () => {
      if (this.#connectedOnce) hub.counters.redisReconnects++;
      this.#connectedOnce = true;
      void this.#registerAgain();
    });
    this.#subscriber.on('smessage', (channel: string, message: string) => this.#receive(channel, message));
    this.#heartbeat = setInterval(() => void this.#beat(), heartbeatIntervalMs);
  }

  /** Connects and waits (bounded) until Redis answers, so that the first joins see the whole room. */
  static async connect<Connection>(
    url: string,
    relayId: string,
    hub: Hub<Connection>,
    onError: (message: string) => void,
  ): Promise<RedisCluster<Connection>> {
    const cluster = new RedisCluster(url, relayId, hub, onError);
    await cluster.#ready();
    return cluster;
  }

  #ready(): Promise<void> {
    const clients = [this.#commands, this.#subscriber];
    const ready = clients.map(
      (client) =>
        new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', resolve))),
    );
    return Promise.race([
      Promise.all(ready).then(() => undefined),
      new Promise<void>((r) => setTimeout(r, connectTimeoutMs)),
    ]);
  }

  get online(): boolean {
    return this.#commands.status === 'ready';
  }

  get connectedOnce(): boolean {
    return this.#connectedOnce;
  }

  async join(request: JoinRequest, maxPeers: number): Promise<Joined | 'full' | 'offline'> {
    if (!this.online) return 'offline';
    try {
      const result = (await this.#commands.eval(
        joinScript,
        1,
        membersKey(request.room),
        request.newId,
        request.resumeId ?? '',
        request.trustAnyResume ? '1' : '0',
        this.relayId,
        maxPeers,
        roomTtlMs,
      )) as string[] | null;
      if (!result) return 'full';
      const [id = request.newId, resumed, ...others] = result;
      return { id, others, resumed: resumed === '1' };
    } catch {
      return 'offline';
    }
  }

  async release(room: string, id: string): Promise<boolean> {
    const owners = [this.relayId, awayOwner(this.relayId)];
    return this.#script(releaseScript, room, [id, ...owners]);
  }

  holdAway(room: string, id: string): void {
    void this.#claim(room, id, [this.relayId, awayOwner(this.relayId)]);
  }

  publish(event: RemoteEvent): void {
    if (this.#outbox.length === 0) setImmediate(this.#flush);
    const origin = stampOrigin(this.relayId, preciseNow());
    this.#outbox.push([eventsChannel(event.room), encodeEvent(origin, event)]);
  }

  /** Sends the turn's publishes in one pipeline; while Redis is away they are dropped, as one publish would be. */
  readonly #flush = (): void => {
    const batch = this.#outbox;
    this.#outbox = [];
    if (!this.online) return;
    const pipeline = this.#commands.pipeline();
    for (const [channel, message] of batch) pipeline.spublish(channel, message);
    pipeline.exec().then(
      (results) => (this.hub.counters.redisPublished += results?.filter(([error]) => !error).length ?? 0),
      () => undefined,
    );
  };

  async follow(room: string): Promise<void> {
    await this.#subscriber.ssubscribe(eventsChannel(room)).catch(() => undefined);
  }

  unfollow(room: string): void {
    this.#subscriber.sunsubscribe(eventsChannel(room)).catch(() => undefined);
  }

  /** Stops the heartbeat and lets the other relays take over this relay's members at once. */
  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#commands.del(relayKey(this.relayId)).catch(() => undefined);
    this.#commands.disconnect();
    this.#subscriber.disconnect();
  }

  #receive(channel: string, message: string): void {
    const decoded = decodeEvent(roomOfChannel(channel), message);
    if (!decoded) return;
    const { relayId, publishedAt } = readOrigin(decoded.origin);
    if (relayId === this.relayId) return;
    const { counters } = this.hub;
    counters.redisReceived++;
    this.hub.receive(decoded.event);
    if (publishedAt !== undefined) counters.deliveryDelay.observe(Math.max(0, preciseNow() - publishedAt) / 1000);
  }

  async #script(script: string, room: string, args: string[]): Promise<boolean> {
    if (!this.online) return true;
    try {
      return (await this.#commands.eval(script, 1, membersKey(room), ...args)) === 1;
    } catch {
      return true;
    }
  }

  #claim(room: string, id: string, acceptedOwners: string[]): Promise<boolean> {
    if (!this.online) return Promise.resolve(false);
    return this.#commands
      .eval(claimScript, 1, membersKey(room), id, awayOwner(this.relayId), ...acceptedOwners)
      .then((claimed) => claimed === 1)
      .catch(() => false);
  }

  async #beat(): Promise<void> {
    if (!this.online) return;
    const rooms = this.hub.rooms.roomNames();
    try {
      const pipeline = this.#commands.pipeline().set(relayKey(this.relayId), '1', 'PX', heartbeatTtlMs);
      for (const room of rooms) pipeline.pexpire(membersKey(room), roomTtlMs);
      await pipeline.exec();
      await this.#takeOverDeadRelays(rooms);
    } catch {
      // Redis went away mid-beat; the next beat after reconnection catches up.
    }
  }

  /** Members of relays whose heartbeat stopped get a grace period here. */
  async #takeOverDeadRelays(rooms: string[]): Promise<void> {
    const owners = new Map<string, Record<string, string>>();
    for (const room of rooms) owners.set(room, await this.#commands.hgetall(membersKey(room)));
    const relays = new Set<string>();
    for (const members of owners.values()) for (const owner of Object.values(members)) relays.add(ownerRelay(owner));
    relays.delete(this.relayId);
    const dead = new Set<string>();
    for (const relay of relays) if ((await this.#commands.exists(relayKey(relay))) === 0) dead.add(relay);
    for (const [room, members] of owners) {
      for (const [id, owner] of Object.entries(members)) {
        const relay = ownerRelay(owner);
        if (!dead.has(relay) || !(await this.#claim(room, id, [relay, awayOwner(relay)]))) continue;
        this.hub.rooms.addElsewhere(room, id);
        this.hub.holdAway(room, id);
      }
    }
  }

  /** After a reconnection (Redis may have restarted empty), register what this relay answers for. */
  async #registerAgain(): Promise<void> {
    try {
      const pipeline = this.#commands.pipeline().set(relayKey(this.relayId), '1', 'PX', heartbeatTtlMs);
      for (const { room, id, away } of this.hub.ownMembers()) {
        if (away) pipeline.hsetnx(membersKey(room), id, awayOwner(this.relayId));
        else pipeline.hset(membersKey(room), id, this.relayId);
        pipeline.pexpire(membersKey(room), roomTtlMs);
      }
      await pipeline.exec();
      for (const room of this.hub.rooms.roomNames()) void this.follow(room);
    } catch {
      // Lost again; the next 'ready' retries.
    }
  }
}
