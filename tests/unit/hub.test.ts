import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Hub, type ClusterLink, type JoinRequest, type LocalDelivery, type RemoteEvent } from '../../relay/hub.ts';
import { decodeEvent, encodeEvent } from '../../relay/cluster.ts';

/** Records what the hub delivers to local "sockets", which are plain names here. */
function recordingDelivery() {
  const log: string[] = [];
  const delivery: LocalDelivery<string> = {
    toRoom: (room, frame) => log.push(`room ${room}: ${frame}`),
    toOthers: (sender, frame) => log.push(`others of ${sender}: ${frame}`),
    toPeer: (connection, frame) => log.push(`to ${connection}: ${frame}`),
    replace: (connection) => log.push(`replace ${connection}`),
  };
  return { log, delivery };
}

const request = (newId: string, resumeId?: string, trustAnyResume = false): JoinRequest => ({
  room: 'r',
  newId,
  resumeId,
  trustAnyResume,
});

describe('Hub on one relay', () => {
  const graceMs = 1000;
  let log: string[];
  let hub: Hub<string>;

  beforeEach(() => {
    vi.useFakeTimers();
    const recording = recordingDelivery();
    log = recording.log;
    hub = new Hub(3, graceMs, recording.delivery);
  });
  afterEach(() => vi.useRealTimers());

  it('joins newcomers with the ids already present', async () => {
    expect(await hub.join(request('a'), 'socket-a')).toEqual({ id: 'a', others: [], resumed: false });
    expect(await hub.join(request('b'), 'socket-b')).toEqual({ id: 'b', others: ['a'], resumed: false });
  });

  it('refuses a joiner past the room size', async () => {
    for (const id of ['a', 'b', 'c']) await hub.join(request(id), `socket-${id}`);
    expect(await hub.join(request('d'), 'socket-d')).toBeUndefined();
  });

  it('holds a lost peer for the grace period, then announces rm', async () => {
    await hub.join(request('a'), 'socket-a');
    await hub.join(request('b'), 'socket-b');
    hub.lose('r', 'a');
    expect(hub.rooms.has('r', 'a')).toBe(true);
    expect(hub.unicast('r', 'a', 'frame')).toBe(true);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(graceMs);
    expect(log).toEqual(['room r: ["rm","a"]']);
    expect(hub.rooms.has('r', 'a')).toBe(false);
  });

  it('gives a resumed peer its id back without rm', async () => {
    await hub.join(request('a'), 'socket-a');
    await hub.join(request('b'), 'socket-b');
    hub.lose('r', 'a');
    expect(await hub.join(request('new', 'a'), 'socket-a2')).toEqual({ id: 'a', others: ['b'], resumed: true });
    await vi.advanceTimersByTimeAsync(graceMs * 2);
    expect(log).toEqual([]);
    expect(hub.rooms.find('r', 'a')).toBe('socket-a2');
  });

  it('closes the older socket when an id resumes while it is still open', async () => {
    await hub.join(request('a'), 'socket-a');
    await hub.join(request('new', 'a'), 'socket-a2');
    expect(log).toEqual(['replace socket-a']);
  });

  it('makes a newcomer of a token whose id has left', async () => {
    await hub.join(request('a'), 'socket-a');
    hub.leave('r', 'a');
    expect(await hub.join(request('fresh', 'a'), 'socket-a2')).toEqual({ id: 'fresh', others: [], resumed: false });
  });

  it('trusts any genuine token right after a restart', async () => {
    expect(await hub.join(request('fresh', 'a', true), 'socket-a')).toEqual({ id: 'a', others: [], resumed: true });
  });

  it('reports unicast to a stranger, and delivers to a member', async () => {
    await hub.join(request('a'), 'socket-a');
    expect(hub.unicast('r', 'nobody', 'frame')).toBe(false);
    expect(hub.unicast('r', 'a', 'frame')).toBe(true);
    expect(log).toEqual(['to socket-a: frame']);
  });

  it('forgets the room when its last peer leaves', async () => {
    await hub.join(request('a'), 'socket-a');
    hub.leave('r', 'a');
    expect(hub.rooms.roomCount).toBe(0);
  });
});

/** A cluster link whose shared state is a plain map, as Redis would hold it. */
function fakeCluster(members: Map<string, string>) {
  const published: RemoteEvent[] = [];
  const link: ClusterLink = {
    online: true,
    connectedOnce: true,
    join: async (joinRequest) => {
      const id = joinRequest.resumeId && members.has(joinRequest.resumeId) ? joinRequest.resumeId : joinRequest.newId;
      const others = [...members.keys()].filter((other) => other !== id);
      members.set(id, 'this relay');
      return { id, others, resumed: id !== joinRequest.newId };
    },
    release: async (_room, id) => members.delete(id) || true,
    holdAway: () => undefined,
    publish: (event) => published.push(event),
    follow: async () => undefined,
    unfollow: () => undefined,
    stop: async () => undefined,
  };
  return { link, published };
}

describe('Hub with a cluster link', () => {
  it('lists peers on other relays and routes unicast to them through the cluster', async () => {
    const { log, delivery } = recordingDelivery();
    const hub = new Hub<string>(10, 1000, delivery);
    const { link, published } = fakeCluster(new Map([['remote', 'other relay']]));
    hub.connectCluster(link);
    expect(await hub.join(request('a'), 'socket-a')).toEqual({ id: 'a', others: ['remote'], resumed: false });
    expect(hub.unicast('r', 'remote', 'frame')).toBe(true);
    expect(published).toEqual([{ kind: 'unicast', room: 'r', to: 'remote', frame: 'frame' }]);
    expect(log).toEqual([]);
  });

  it('delivers events from other relays to its own sockets', async () => {
    const { log, delivery } = recordingDelivery();
    const hub = new Hub<string>(10, 1000, delivery);
    hub.connectCluster(fakeCluster(new Map()).link);
    await hub.join(request('a'), 'socket-a');
    hub.receive({ kind: 'fetch', room: 'r', requester: 'newcomer', frame: '["fetch","newcomer"]' });
    hub.receive({ kind: 'unicast', room: 'r', to: 'a', frame: 'just for a' });
    hub.receive({ kind: 'left', room: 'r', id: 'newcomer' });
    expect(log).toEqual(['room r: ["fetch","newcomer"]', 'to socket-a: just for a', 'room r: ["rm","newcomer"]']);
  });

  it('lets go of a socket whose id resumed on another relay, without rm', async () => {
    const { log, delivery } = recordingDelivery();
    const hub = new Hub<string>(10, 1000, delivery);
    hub.connectCluster(fakeCluster(new Map()).link);
    await hub.join(request('a'), 'socket-a');
    hub.receive({ kind: 'resumed', room: 'r', id: 'a' });
    expect(log).toEqual(['replace socket-a']);
    expect(hub.rooms.has('r', 'a')).toBe(true);
    expect(hub.rooms.find('r', 'a')).toBeUndefined();
  });
});

describe('cluster events', () => {
  it.each<RemoteEvent>([
    { kind: 'frame', room: 'r', frame: '["add","a","x\\ny",1]' },
    { kind: 'fetch', room: 'r', requester: 'a', frame: '["fetch","a","summary"]' },
    { kind: 'unicast', room: 'r', to: 'b', frame: '["add","a","x",1]' },
    { kind: 'left', room: 'r', id: 'a' },
    { kind: 'resumed', room: 'r', id: 'a' },
  ])('round-trips $kind', (event) => {
    expect(decodeEvent('r', encodeEvent('relay-1', event))).toEqual({ origin: 'relay-1', event });
  });

  it('ignores what it does not understand', () => {
    expect(decodeEvent('r', 'garbage')).toBeUndefined();
    expect(decodeEvent('r', 'relay\nz\nid\nframe')).toBeUndefined();
  });
});
