// Room membership: which peers are in which room. Generic over the connection
// type so it can be tested without sockets. Empty rooms are deleted at once:
// when the last peer leaves, nothing of the room remains.

export class Rooms<Connection> {
  readonly #rooms = new Map<string, Map<string, Connection>>();

  constructor(readonly maxPeers: number) {}

  /** Adds a peer; returns the ids already there, or undefined if the room is full. */
  join(room: string, id: string, connection: Connection): string[] | undefined {
    let members = this.#rooms.get(room);
    if (!members) {
      members = new Map();
      this.#rooms.set(room, members);
    }
    if (members.size >= this.maxPeers) return undefined;
    const others = [...members.keys()];
    members.set(id, connection);
    return others;
  }

  /** Removes a peer; true if it was a member. */
  leave(room: string, id: string): boolean {
    const members = this.#rooms.get(room);
    if (!members?.delete(id)) return false;
    if (members.size === 0) this.#rooms.delete(room);
    return true;
  }

  find(room: string, id: string): Connection | undefined {
    return this.#rooms.get(room)?.get(id);
  }

  size(room: string): number {
    return this.#rooms.get(room)?.size ?? 0;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Every connection in every room, for shutdown. */
  *connections(): IterableIterator<Connection> {
    for (const members of this.#rooms.values()) yield* members.values();
  }
}
