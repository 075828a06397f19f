// One room id and one topic string per room, shared by all of its sockets,
// instead of a copy of each in every socket's record.

export interface RoomName {
  readonly room: string;
  /** The uWebSockets.js topic its local sockets are subscribed to. */
  readonly topic: string;
  /** Sockets holding this name; at 0 it is forgotten. */
  sockets: number;
}

const roomTopic = (room: string): string => `room/${room}`;

export class RoomNames {
  readonly #names = new Map<string, RoomName>();

  /** The room's shared name, for one more socket. */
  acquire(room: string): RoomName {
    let name = this.#names.get(room);
    if (!name) {
      name = { room, topic: roomTopic(room), sockets: 0 };
      this.#names.set(room, name);
    }
    name.sockets++;
    return name;
  }

  release(name: RoomName): void {
    if (--name.sockets === 0) this.#names.delete(name.room);
  }

  /** The room's topic, shared if a local socket holds it. */
  topic(room: string): string {
    return this.#names.get(room)?.topic ?? roomTopic(room);
  }
}
