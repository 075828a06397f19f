// Who is in which room, and where frames go. One relay alone keeps
// membership in memory; with a cluster link (Redis), membership is shared and
// every room event is published once to the other relays, which deliver it
// to their own sockets. Delivery to local sockets is the adapter's job
// (LocalDelivery), so this module has no socket code and no timers but one.
import { encodeRm } from '../protocol/index.ts';
import { RelayCounters } from './counters.ts';
import { Rooms } from './rooms.ts';

export interface LocalDelivery<Connection> {
  /** To every local socket in the room. */
  toRoom(room: string, frame: string): void;
  /** To every local socket in the room but the sender's. */
  toOthers(sender: Connection, frame: string): void;
  toPeer(connection: Connection, frame: string): void;
  /** The connection's id resumed elsewhere: close it without leaving. */
  replace(connection: Connection): void;
}

/** A room event as it travels between relays. */
export type RemoteEvent =
  | { kind: 'frame'; room: string; frame: string } // add, to everyone
  | { kind: 'fetch'; room: string; requester: string; frame: string }
  | { kind: 'unicast'; room: string; to: string; frame: string }
  | { kind: 'left'; room: string; id: string }
  | { kind: 'resumed'; room: string; id: string };

export interface JoinRequest {
  room: string;
  newId: string;
  /** The id a genuine resume token names, if any. */
  resumeId: string | undefined;
  /** The relay started less than a grace period ago and cannot know who was away. */
  trustAnyResume: boolean;
}

export interface Joined {
  id: string;
  others: string[];
  resumed: boolean;
}

/** Shared membership and messaging across relays (see cluster.ts). */
export interface ClusterLink {
  /** Reaches the cluster now. */
  readonly online: boolean;
  /** Has reached it at least once since the relay started. */
  readonly connectedOnce: boolean;
  /** Joins atomically across relays; 'offline' when the cluster cannot be reached. */
  join(request: JoinRequest, maxPeers: number): Promise<Joined | 'full' | 'offline'>;
  /**
   * Removes the member if this relay still answers for it; false if it resumed
   * elsewhere. Resolves true when the cluster cannot be reached. Never rejects.
   */
  release(room: string, id: string): Promise<boolean>;
  /** Records that this relay holds the member's id while it is away. */
  holdAway(room: string, id: string): void;
  publish(event: RemoteEvent): void;
  /** Starts receiving the room's events; resolves once subscribed. */
  follow(room: string): Promise<void>;
  /** Stops receiving the room's events. */
  unfollow(room: string): void;
  /** Leaves the cluster; the others take over this relay's members. */
  stop(): Promise<void>;
}

export class Hub<Connection> {
  readonly rooms: Rooms<Connection>;
  readonly #awayTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #cluster: ClusterLink | undefined;

  constructor(
    maxPeers: number,
    readonly graceMs: number,
    readonly delivery: LocalDelivery<Connection>,
    readonly counters = new RelayCounters(),
  ) {
    this.rooms = new Rooms(maxPeers);
  }

  connectCluster(cluster: ClusterLink): void {
    this.#cluster = cluster;
  }

  get cluster(): ClusterLink | undefined {
    return this.#cluster;
  }

  /** Resolves with the joined peer, or undefined when the room is full. */
  async join(request: JoinRequest, connection: Connection): Promise<Joined | undefined> {
    const shared = (await this.#cluster?.join(request, this.rooms.maxPeers)) ?? 'offline';
    if (shared === 'full') return undefined;
    const joined = shared === 'offline' ? this.#joinHere(request, connection) : shared;
    if (!joined) return undefined;
    if (shared !== 'offline') await this.#adoptMembers(request.room, joined, connection);
    if (joined.resumed) this.#reclaim(request.room, joined.id, connection);
    return joined;
  }

  #joinHere(request: JoinRequest, connection: Connection): Joined | undefined {
    const { room, resumeId } = request;
    const resumable = resumeId !== undefined && (this.rooms.has(room, resumeId) || request.trustAnyResume);
    const id = resumable ? resumeId : request.newId;
    const others = resumable && this.rooms.has(room, id) ? this.rooms.ids(room).filter((o) => o !== id) : undefined;
    if (others) return { id, others, resumed: true };
    const joinedOthers = this.rooms.join(room, id, connection);
    return joinedOthers && { id, others: joinedOthers, resumed: resumable };
  }

  /** The cluster's member list becomes this relay's view of the room. */
  async #adoptMembers(room: string, joined: Joined, connection: Connection): Promise<void> {
    // Subscribed before init goes out, so no event meant for the joiner is missed.
    if (this.rooms.size(room) === 0) await this.#cluster?.follow(room);
    for (const other of joined.others) this.rooms.addElsewhere(room, other);
    if (!joined.resumed) this.rooms.attach(room, joined.id, connection);
  }

  /** Takes a resumed id back: stop its grace timer, close its older socket. */
  #reclaim(room: string, id: string, connection: Connection): void {
    this.#stopAwayTimer(id);
    const replaced = this.rooms.attach(room, id, connection);
    if (replaced !== undefined && replaced !== connection) this.delivery.replace(replaced);
    this.#cluster?.publish({ kind: 'resumed', room, id });
  }

  /** A message to everyone in the room, the sender included. */
  broadcast(room: string, frame: string): void {
    this.delivery.toRoom(room, frame);
    this.#cluster?.publish({ kind: 'frame', room, frame });
  }

  fetch(room: string, requester: Connection, requesterId: string, frame: string): void {
    this.delivery.toOthers(requester, frame);
    this.#cluster?.publish({ kind: 'fetch', room, requester: requesterId, frame });
  }

  /** False when `to` is not in the room. A frame to an away peer is dropped. */
  unicast(room: string, to: string, frame: string): boolean {
    const target = this.rooms.find(room, to);
    if (target !== undefined) this.delivery.toPeer(target, frame);
    else if (!this.rooms.has(room, to)) return false;
    else if (!this.#awayTimers.has(to)) this.#cluster?.publish({ kind: 'unicast', room, to, frame });
    return true;
  }

  /** A clean close: the peer leaves at once. */
  leave(room: string, id: string): void {
    this.#stopAwayTimer(id);
    if (!this.rooms.has(room, id)) return;
    this.#removeMember(room, id);
    this.#cluster?.publish({ kind: 'left', room, id });
    void this.#cluster?.release(room, id);
  }

  /** A lost connection: the id stays for the grace period, then leaves. */
  lose(room: string, id: string): void {
    if (this.graceMs === 0) return this.leave(room, id);
    this.rooms.detach(room, id);
    this.holdAway(room, id);
  }

  /** Starts the grace period of a member this relay now answers for. */
  holdAway(room: string, id: string): void {
    this.#stopAwayTimer(id);
    this.#cluster?.holdAway(room, id);
    const timer = setTimeout(() => void this.#graceEnded(room, id), this.graceMs);
    this.#awayTimers.set(id, timer);
  }

  async #graceEnded(room: string, id: string): Promise<void> {
    this.#awayTimers.delete(id);
    const stillOurs = (await this.#cluster?.release(room, id)) ?? true;
    if (!this.rooms.has(room, id) || this.rooms.find(room, id) !== undefined) return;
    if (!stillOurs) return; // it resumed on another relay
    this.counters.graceExpired++;
    this.#removeMember(room, id);
    this.#cluster?.publish({ kind: 'left', room, id });
  }

  #removeMember(room: string, id: string): void {
    this.rooms.leave(room, id);
    this.delivery.toRoom(room, encodeRm(id));
    if (this.#cluster && this.rooms.localIds(room).length === 0 && !this.#holdsAwayIn(room)) {
      this.rooms.forget(room);
      this.#cluster.unfollow(room);
    }
  }

  #holdsAwayIn(room: string): boolean {
    return this.rooms.ids(room).some((id) => this.#awayTimers.has(id));
  }

  #stopAwayTimer(id: string): void {
    clearTimeout(this.#awayTimers.get(id));
    this.#awayTimers.delete(id);
  }

  /** What this relay answers for, to register again after the cluster lost it. */
  ownMembers(): { room: string; id: string; away: boolean }[] {
    return this.rooms.roomNames().flatMap((room) => [
      ...this.rooms.localIds(room).map((id) => ({ room, id, away: false })),
      ...this.rooms
        .ids(room)
        .filter((id) => this.#awayTimers.has(id))
        .map((id) => ({ room, id, away: true })),
    ]);
  }

  /** An event another relay published. */
  receive(event: RemoteEvent): void {
    const { room } = event;
    switch (event.kind) {
      case 'frame':
        return this.delivery.toRoom(room, event.frame);
      case 'fetch':
        this.rooms.addElsewhere(room, event.requester);
        return this.delivery.toRoom(room, event.frame);
      case 'unicast': {
        const target = this.rooms.find(room, event.to);
        if (target !== undefined) this.delivery.toPeer(target, event.frame);
        return;
      }
      case 'left':
        if (this.rooms.has(room, event.id)) this.#removeMember(room, event.id);
        return;
      case 'resumed': {
        this.#stopAwayTimer(event.id);
        const connection = this.rooms.find(room, event.id);
        if (connection !== undefined) this.delivery.replace(connection);
        this.rooms.detach(room, event.id);
        return;
      }
    }
  }

  stopTimers(): void {
    for (const timer of this.#awayTimers.values()) clearTimeout(timer);
    this.#awayTimers.clear();
  }
}
