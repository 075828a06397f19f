// Room membership: which peers are in which room, and which of them are away
// (connection lost, id held for a resume). Generic over the connection type so
// it can be tested without sockets. Empty rooms are deleted at once: when the
// last peer leaves, nothing of the room remains.

export class Rooms<Connection> {
  /** room -> peer id -> connection, or undefined while the peer is away. */
  readonly #rooms = new Map<string, Map<string, Connection | undefined>>();

  constructor(readonly maxPeers: number) {}

  /** Adds a peer; returns the ids already there, or undefined if the room is full. */
  join(room: string, id: string, connection: Connection): string[] | undefined {
    const members = this.#members(room);
    if (members.size >= this.maxPeers) return undefined;
    const others = [...members.keys()];
    members.set(id, connection);
    return others;
  }

  /**
   * Gives a member's id a new connection, or adds it if the room does not know
   * it (a restarted relay). Returns the other ids and the connection it
   * replaces, or undefined if the room is full.
   */
  resume(
    room: string,
    id: string,
    connection: Connection,
  ): { others: string[]; replaced: Connection | undefined } | undefined {
    const members = this.#members(room);
    if (!members.has(id) && members.size >= this.maxPeers) return undefined;
    const replaced = members.get(id);
    members.set(id, connection);
    return { others: [...members.keys()].filter((other) => other !== id), replaced };
  }

  /** Keeps the id in the room without a connection. */
  setAway(room: string, id: string): void {
    const members = this.#rooms.get(room);
    if (members?.has(id)) members.set(id, undefined);
  }

  isAway(room: string, id: string): boolean {
    const members = this.#rooms.get(room);
    return members !== undefined && members.has(id) && members.get(id) === undefined;
  }

  /** Removes a peer; true if it was a member. */
  leave(room: string, id: string): boolean {
    const members = this.#rooms.get(room);
    if (!members?.delete(id)) return false;
    if (members.size === 0) this.#rooms.delete(room);
    return true;
  }

  has(room: string, id: string): boolean {
    return this.#rooms.get(room)?.has(id) ?? false;
  }

  /** The peer's connection; undefined if it is away or not a member. */
  find(room: string, id: string): Connection | undefined {
    return this.#rooms.get(room)?.get(id);
  }

  size(room: string): number {
    return this.#rooms.get(room)?.size ?? 0;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Every open connection in every room, for shutdown. */
  *connections(): IterableIterator<Connection> {
    for (const members of this.#rooms.values()) {
      for (const connection of members.values()) if (connection !== undefined) yield connection;
    }
  }

  #members(room: string): Map<string, Connection | undefined> {
    let members = this.#rooms.get(room);
    if (!members) {
      members = new Map();
      this.#rooms.set(room, members);
    }
    return members;
  }
}
