// Room membership as one relay sees it: for each room, every member's id and,
// for members connected to this relay, their connection. A member without one
// is away (connection lost, id held for a resume) or connected to another
// relay. Generic over the connection type so it can be tested without sockets.
// A room is forgotten as soon as it has no members: nothing of it remains.

export class Rooms<Connection> {
  /** room -> peer id -> connection, or undefined when not connected here. */
  readonly #rooms = new Map<string, Map<string, Connection | undefined>>();

  constructor(readonly maxPeers: number) {}

  /** Adds a peer; returns the ids already there, or undefined if the room is full. */
  join(room: string, id: string, connection: Connection): string[] | undefined {
    const members = this.#members(room);
    if (!members.has(id) && members.size >= this.maxPeers) return undefined;
    const others = [...members.keys()].filter((other) => other !== id);
    members.set(id, connection);
    return others;
  }

  /** Adds a member connected elsewhere; the cluster already checked the room's size. */
  addElsewhere(room: string, id: string): void {
    const members = this.#members(room);
    if (!members.has(id)) members.set(id, undefined);
  }

  /** Gives a member a connection here; returns the connection it replaces. */
  attach(room: string, id: string, connection: Connection): Connection | undefined {
    const members = this.#members(room);
    const replaced = members.get(id);
    members.set(id, connection);
    return replaced;
  }

  /** Keeps the id in the room without a connection here. */
  detach(room: string, id: string): void {
    const members = this.#rooms.get(room);
    if (members?.has(id)) members.set(id, undefined);
  }

  /** Removes a peer; true if it was a member. */
  leave(room: string, id: string): boolean {
    const members = this.#rooms.get(room);
    if (!members?.delete(id)) return false;
    if (members.size === 0) this.#rooms.delete(room);
    return true;
  }

  /** Forgets a whole room, e.g. when this relay no longer follows it. */
  forget(room: string): void {
    this.#rooms.delete(room);
  }

  has(room: string, id: string): boolean {
    return this.#rooms.get(room)?.has(id) ?? false;
  }

  /** The peer's connection here; undefined if it is away, elsewhere or not a member. */
  find(room: string, id: string): Connection | undefined {
    return this.#rooms.get(room)?.get(id);
  }

  ids(room: string): string[] {
    return [...(this.#rooms.get(room)?.keys() ?? [])];
  }

  /** Ids connected to this relay in a room. */
  localIds(room: string): string[] {
    const members = this.#rooms.get(room);
    return members ? [...members].filter(([, connection]) => connection !== undefined).map(([id]) => id) : [];
  }

  size(room: string): number {
    return this.#rooms.get(room)?.size ?? 0;
  }

  roomNames(): string[] {
    return [...this.#rooms.keys()];
  }

  /** How many members each room has. */
  sizes(): number[] {
    return Array.from(this.#rooms.values(), (members) => members.size);
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Every connection here, in every room, for shutdown. */
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
