import { describe, expect, it } from 'vitest';
import type { DeliveredMessage } from '../../client/src/lib/chat/envelopes.ts';
import { decodeEnvelope, encodeEnvelope } from '../../client/src/lib/envelope.ts';
import { fitsPayload } from '../../client/src/lib/envelope-fields.ts';
import { batchEnvelopes, HistoryStore, type ChatMessage, type Entry } from '../../client/src/lib/chat/history.ts';

const alice = 'aaaaaaaa-0000-4000-8000-000000000000';
const bob = 'bbbbbbbb-0000-4000-8000-000000000000';

function id(n: number): string {
  return `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
}

function wire(n: number, ts: number, extra: Partial<DeliveredMessage> = {}): DeliveredMessage {
  return { id: id(n), text: `message ${n}`, ts, ...extra };
}

function texts(entries: readonly Entry[]): string[] {
  return entries.map((entry) => (entry.kind === 'message' ? entry.text : `[${entry.notice.type}]`));
}

function pending(n: number, author = alice): ChatMessage {
  return { kind: 'message', id: id(n), author, text: `message ${n}`, action: false, ttl: 0, ts: NaN };
}

describe('history store', () => {
  it('orders by the relay time of first delivery, whoever delivers and in whatever order', () => {
    const store = new HistoryStore();
    store.addDelivered(bob, [wire(3, 300), wire(1, 100)], 0);
    store.addDelivered(alice, [wire(2, 200)], 0);
    expect(texts(store.entries())).toEqual(['message 1', 'message 2', 'message 3']);
  });

  it('breaks ties by id, so every screen agrees', () => {
    const one = new HistoryStore();
    const two = new HistoryStore();
    one.addDelivered(alice, [wire(2, 100), wire(1, 100)], 0);
    two.addDelivered(alice, [wire(1, 100)], 0);
    two.addDelivered(alice, [wire(2, 100)], 0);
    expect(texts(one.entries())).toEqual(['message 1', 'message 2']);
    expect(texts(two.entries())).toEqual(texts(one.entries()));
  });

  it('keeps the order when a batch is large enough to be sorted in bulk', () => {
    const store = new HistoryStore();
    const many = Array.from({ length: 500 }, (_, i) => wire(i, 1000 + ((i * 7919) % 500)));
    store.addDelivered(bob, many, 0);
    store.addDelivered(alice, [wire(9999, 1250)], 0);
    const times = store.entries().map((entry) => entry.ts);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(store.size).toBe(501);
  });

  it('deduplicates by message id', () => {
    const store = new HistoryStore();
    expect(store.addDelivered(bob, [wire(1, 100), wire(2, 200)], 0)).toBe(2);
    expect(store.addDelivered(bob, [wire(1, 100), wire(2, 200)], 0)).toBe(0);
    expect(store.addDelivered(bob, [wire(1, 150, { text: 'changed' })], 0)).toBe(0);
    expect(texts(store.entries())).toEqual(['message 1', 'message 2']);
  });

  it('moves a known message to its author’s new id (the same person), keeping its place', () => {
    const store = new HistoryStore();
    const aliceAgain = 'aaaaaaaa-1111-4000-8000-000000000000';
    const samePerson = (a: string, b: string): boolean => [a, b].every((peer) => peer.startsWith('aaaaaaaa'));
    store.addDelivered(alice, [wire(1, 100), wire(2, 200)], 0);
    expect(store.addDelivered(aliceAgain, [wire(1, 100)], 0, { samePerson })).toBe(1);
    expect(store.get(id(1))).toMatchObject({ author: aliceAgain, ts: 100 });
    expect(store.removeAuthor(alice)).toBe(1);
    expect(texts(store.entries())).toEqual(['message 1']);
  });

  it('never lets another person take over a message by its id (review finding: re-author)', () => {
    const store = new HistoryStore();
    store.addDelivered(alice, [wire(1, 100)], 0);
    const samePerson = (a: string, b: string): boolean => a === b;
    expect(store.addDelivered(bob, [wire(1, 100, { text: 'forged' })], 0, { samePerson })).toBe(0);
    expect(store.addDelivered(bob, [wire(1, 100)], 0)).toBe(0);
    expect(store.get(id(1))).toMatchObject({ author: alice, text: 'message 1' });
    expect(store.removeAuthor(bob)).toBe(0);
    expect(store.delivered(alice, 0)).toHaveLength(1);
  });

  it('releases the oldest messages beyond its limits, per author and in all, and keeps the newest', () => {
    const store = new HistoryStore();
    const limits = { messagesPerAuthor: 3, textPerAuthor: 1000, messages: 5, text: 1000 };
    store.addDelivered(
      bob,
      Array.from({ length: 10 }, (_, i) => wire(i, 100 + i)),
      0,
    );
    expect(store.releaseBeyond(limits)).toBe(7);
    expect(texts(store.entries())).toEqual(['message 7', 'message 8', 'message 9']);
    store.addDelivered(
      alice,
      Array.from({ length: 3 }, (_, i) => wire(20 + i, 200 + i)),
      0,
    );
    expect(store.releaseBeyond(limits)).toBe(1);
    expect(store.size).toBe(5);
    store.addDelivered(alice, [wire(30, 300, { text: 'x'.repeat(1001) })], 0);
    expect(store.releaseBeyond(limits)).toBeGreaterThan(0);
    expect(store.get(id(30))).toBeUndefined();
    expect(store.releaseBeyond(limits)).toBe(0);
  });

  it('shows own messages at once and places them when the echo gives their time', () => {
    const store = new HistoryStore();
    store.addDelivered(bob, [wire(1, 100), wire(3, 300)], 0);
    store.addPending(pending(2));
    expect(texts(store.entries())).toEqual(['message 1', 'message 3', 'message 2']);
    expect(store.confirm(id(2), 200)).toBe(true);
    expect(texts(store.entries())).toEqual(['message 1', 'message 2', 'message 3']);
    expect(store.pending()).toEqual([]);
    expect(store.confirm(id(2), 200)).toBe(false);
  });

  it('drops every message of an author on rm, and nobody else’s', () => {
    const store = new HistoryStore();
    store.addDelivered(alice, [wire(1, 100), wire(3, 300)], 0);
    store.addDelivered(bob, [wire(2, 200)], 0);
    store.addNotice({ type: 'joined', peer: alice }, 50);
    expect(store.removeAuthor(alice)).toBe(2);
    expect(texts(store.entries())).toEqual(['[joined]', 'message 2']);
    expect(store.get(id(1))).toBeUndefined();
    expect(store.removeAuthor(alice)).toBe(0);
  });

  it('expires messages at ts + ttl, and tells when the next one is due', () => {
    const store = new HistoryStore();
    store.addDelivered(bob, [wire(1, 1000, { ttl: 60_000 }), wire(2, 2000, { ttl: 600_000 }), wire(3, 3000)], 0);
    expect(store.nextExpiry()).toBe(61_000);
    expect(store.expire(60_999)).toBe(0);
    expect(store.expire(61_000)).toBe(1);
    expect(texts(store.entries())).toEqual(['message 2', 'message 3']);
    expect(store.nextExpiry()).toBe(602_000);
    expect(store.expire(10_000_000)).toBe(1);
    expect(store.nextExpiry()).toBeUndefined();
    expect(texts(store.entries())).toEqual(['message 3']);
  });

  it('ignores messages that arrive already expired', () => {
    const store = new HistoryStore();
    expect(store.addDelivered(bob, [wire(1, 1000, { ttl: 60_000 })], 61_000)).toBe(0);
    expect(store.size).toBe(0);
  });

  it('offers a newcomer only its own unexpired messages, oldest first', () => {
    const store = new HistoryStore();
    store.addDelivered(alice, [wire(2, 200), wire(1, 100, { ttl: 60_000 }), wire(3, 300, { action: true })], 0);
    store.addDelivered(bob, [wire(4, 150)], 0);
    store.addPending(pending(5));
    expect(store.delivered(alice, 0).map((m) => m.id)).toEqual([id(1), id(2), id(3)]);
    expect(store.delivered(alice, 60_100).map((m) => m.id)).toEqual([id(2), id(3)]);
    expect(store.delivered(alice, 0)[2]).toEqual({ id: id(3), text: 'message 3', action: true, ts: 300 });
  });

  it('offers a returning peer only what came after the newest it has', () => {
    const store = new HistoryStore();
    store.addDelivered(alice, [wire(1, 100), wire(2, 200), wire(3, 300)], 0);
    store.addDelivered(bob, [wire(4, 250)], 0);
    expect(store.newestByAuthor()).toEqual({ [alice]: 300, [bob]: 250 });
    expect(store.delivered(alice, 0, 200).map((m) => m.id)).toEqual([id(3)]);
    expect(store.delivered(alice, 0, 300)).toEqual([]);
  });

  it('hands out the same snapshot until something changes', () => {
    const store = new HistoryStore();
    store.addDelivered(bob, [wire(1, 100)], 0);
    const first = store.entries();
    expect(store.entries()).toBe(first);
    store.addDelivered(bob, [wire(1, 100)], 0);
    expect(store.entries()).toBe(first);
    store.addDelivered(bob, [wire(2, 200)], 0);
    expect(store.entries()).not.toBe(first);
    expect(store.entries()[0]).toBe(first[0]);
  });

  it('clears the view only, keeping own messages for newcomers', () => {
    const store = new HistoryStore();
    store.addDelivered(alice, [wire(1, 100)], 0);
    store.clearView(150);
    store.addDelivered(bob, [wire(2, 200)], 0);
    expect(texts(store.entries())).toEqual(['message 2']);
    expect(store.delivered(alice, 0)).toHaveLength(1);
  });

  it('gives own messages to a new id after a reconnect', () => {
    const store = new HistoryStore();
    store.addDelivered(alice, [wire(1, 100)], 0);
    store.addPending(pending(2));
    store.reassignAuthor(alice, bob);
    expect(store.authors()).toEqual(new Set([bob]));
    expect(store.pending()[0]!.author).toBe(bob);
    expect(store.removeAuthor(bob)).toBe(2);
  });
});

describe('batching for a newcomer', () => {
  const name = 'Calm Otter';

  it('sends one empty batch when there is nothing to send, so the newcomer learns the name', () => {
    expect(batchEnvelopes(name, [], 65_536)).toEqual([{ v: 1, kind: 'batch', name, messages: [] }]);
  });

  it('packs messages into batches that each fit maxPayload once encrypted, losing none', () => {
    const messages = Array.from({ length: 300 }, (_, i) => wire(i, 1000 + i, { text: `${'é'.repeat(i % 50)} ${i}` }));
    for (const maxPayload of [1024, 4096, 65_536]) {
      const batches = batchEnvelopes(name, messages, maxPayload);
      for (const batch of batches) expect(fitsPayload(encodeEnvelope(batch), maxPayload)).toBe(true);
      const sent = batches.flatMap((batch) => (batch.kind === 'batch' ? batch.messages : []));
      expect(sent).toEqual(messages);
      if (maxPayload === 65_536) expect(batches).toHaveLength(1);
      else expect(batches.length).toBeGreaterThan(1);
    }
  });

  it('fills batches nearly full rather than sending many small ones', () => {
    const messages = Array.from({ length: 2000 }, (_, i) => wire(i, i + 1));
    const maxPayload = 8192;
    const batches = batchEnvelopes(name, messages, maxPayload);
    const totalJson = batches.reduce((sum, batch) => sum + encodeEnvelope(batch).length, 0);
    const minimum = Math.ceil(totalJson / ((maxPayload * 3) / 4));
    expect(batches.length).toBeLessThanOrEqual(minimum + 1);
  });

  it('leaves out a message too large to travel at all', () => {
    const batches = batchEnvelopes(name, [wire(1, 1, { text: 'x'.repeat(5000) }), wire(2, 2)], 1024);
    expect(batches.flatMap((batch) => (batch.kind === 'batch' ? batch.messages.map((m) => m.id) : []))).toEqual([
      id(2),
    ]);
  });

  it('produces envelopes the receiver accepts', () => {
    const [batch] = batchEnvelopes(name, [wire(1, 5, { ttl: 60_000, action: true })], 65_536);
    expect(decodeEnvelope(encodeEnvelope(batch!))).toEqual(batch);
  });
});
