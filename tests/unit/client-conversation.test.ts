// Edits, unsends and reactions: what validates, and who may do what to whose message.
import { describe, expect, it } from 'vitest';
import { HistoryStore } from '../../client/src/lib/chat/history.ts';
import { Conversation } from '../../client/src/lib/conversation/conversation.ts';
import { decodeEnvelope, encodeEnvelope, type Envelope } from '../../client/src/lib/envelope.ts';
import type { Received, RoomContext } from '../../client/src/lib/feature.ts';

const alice = 'a0000000-0000-4000-8000-000000000001';
const bob = 'b0000000-0000-4000-8000-000000000002';
const aliceMessage = '11111111-1111-4111-8111-111111111111';
const bobMessage = '22222222-2222-4222-8222-222222222222';

function room(self: string, sent: { envelope: Envelope; to?: string }[] = []): RoomContext {
  return {
    selfId: () => self,
    name: () => 'Me',
    connected: () => true,
    relayNow: () => 1000,
    now: () => 1000,
    maxPayload: () => 65_536,
    send: async (envelope, to) => void sent.push({ envelope, to }),
    sendBulk: async (envelope, to) => (sent.push({ envelope, to }), true),
    samePerson: () => false,
    fetch: async () => {},
    notice: () => ({ kind: 'notice', id: 'n', ts: 0, notice: { type: 'info', text: '' } }),
    live: () => {},
    changed: () => {},
  };
}

function setUp(self = alice) {
  const history = new HistoryStore();
  history.addDelivered(alice, [{ id: aliceMessage, text: 'from alice', ts: 10 }], 0);
  history.addDelivered(bob, [{ id: bobMessage, text: 'from bob', ts: 20 }], 0);
  const sent: { envelope: Envelope; to?: string }[] = [];
  const conversation = new Conversation(room(self, sent), history);
  const text = (id: string) => {
    const entry = history.get(id);
    return entry?.kind === 'message' ? entry.text : undefined;
  };
  return { history, conversation, sent, text };
}

const from = (peer: string, ts = 100): Received => ({ from: peer, ts, self: peer === alice, unicast: false });

describe('conversation envelopes', () => {
  const valid: Envelope[] = [
    { v: 1, kind: 'edit', id: aliceMessage, text: 'new text' },
    { v: 1, kind: 'unsend', id: aliceMessage },
    { v: 1, kind: 'react', id: aliceMessage, emoji: '👍', on: true },
    { v: 1, kind: 'reactions', items: [{ id: aliceMessage, emoji: '🎉' }] },
    { v: 1, kind: 'message', name: 'A', message: { id: bobMessage, text: 'answer', reply: aliceMessage } },
  ];

  it.each(valid)('round-trips a valid %s envelope', (envelope) => {
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it.each([
    { kind: 'edit', id: 'not-an-id', text: 'x' },
    { kind: 'edit', id: aliceMessage, text: '' },
    { kind: 'edit', id: aliceMessage, text: 'x'.repeat(10_001) },
    { kind: 'edit', id: aliceMessage },
    { kind: 'unsend', id: 42 },
    { kind: 'react', id: aliceMessage, emoji: '<script>', on: true },
    { kind: 'react', id: aliceMessage, emoji: '👍', on: 'yes' },
    { kind: 'react', id: aliceMessage, emoji: '👍'.repeat(2), on: true },
    { kind: 'reactions', items: [{ id: aliceMessage, emoji: 'x' }] },
    { kind: 'reactions', items: Array.from({ length: 1001 }, () => ({ id: aliceMessage, emoji: '👍' })) },
    { kind: 'reactions', items: 'all' },
    { kind: 'message', name: 'A', message: { id: bobMessage, text: 'answer', reply: 'javascript:' } },
    { kind: 'batch', name: 'A', messages: [{ id: bobMessage, text: 'x', ts: 5, edited: -1 }] },
  ])('refuses a malformed envelope %j', (fields) => {
    expect(decodeEnvelope(JSON.stringify({ v: 1, ...fields }))).toBeUndefined();
  });
});

describe('who may edit, unsend or react', () => {
  it('honours an edit from the message’s author, marking it edited', () => {
    const { conversation, history, text } = setUp();
    conversation.receive({ v: 1, kind: 'edit', id: aliceMessage, text: 'fixed' }, from(alice, 150));
    expect(text(aliceMessage)).toBe('fixed');
    expect(history.get(aliceMessage)).toMatchObject({ edited: 150, author: alice });
  });

  it('ignores an edit or unsend of someone else’s message', () => {
    const { conversation, text } = setUp();
    conversation.receive({ v: 1, kind: 'edit', id: aliceMessage, text: 'forged' }, from(bob));
    conversation.receive({ v: 1, kind: 'unsend', id: aliceMessage }, from(bob));
    expect(text(aliceMessage)).toBe('from alice');
  });

  it('removes an unsent message and the reactions to it', () => {
    const { conversation, history } = setUp();
    conversation.receive({ v: 1, kind: 'react', id: bobMessage, emoji: '👍', on: true }, from(alice));
    conversation.receive({ v: 1, kind: 'unsend', id: bobMessage }, from(bob));
    expect(history.get(bobMessage)).toBeUndefined();
    expect(conversation.reactions.counts().get(bobMessage)).toBeUndefined();
    expect(history.delivered(bob, 0)).toEqual([]);
  });

  it('keeps a reaction as its sender’s: nobody else can remove it, and it goes when they leave', () => {
    const { conversation } = setUp();
    const thumbs = { v: 1, kind: 'react', id: bobMessage, emoji: '👍' } as const;
    conversation.receive({ ...thumbs, on: true }, from(alice));
    conversation.receive({ ...thumbs, on: true }, from(bob));
    conversation.receive({ ...thumbs, on: false }, from(bob));
    conversation.receive({ ...thumbs, on: true }, from(alice));
    expect(conversation.reactions.counts().get(bobMessage)).toEqual([{ emoji: '👍', peers: [alice] }]);
    conversation.forget(alice);
    expect(conversation.reactions.counts().get(bobMessage)).toBeUndefined();
  });

  it('lets a sender’s snapshot replace only that sender’s reactions', () => {
    const { conversation } = setUp();
    conversation.receive({ v: 1, kind: 'react', id: aliceMessage, emoji: '❤️', on: true }, from(alice));
    conversation.receive({ v: 1, kind: 'reactions', items: [{ id: aliceMessage, emoji: '🎉' }] }, from(bob));
    conversation.receive({ v: 1, kind: 'reactions', items: [] }, from(bob));
    expect(conversation.reactions.counts().get(aliceMessage)).toEqual([{ emoji: '❤️', peers: [alice] }]);
  });

  it('sends an edit or unsend only for our own message', async () => {
    const { conversation, sent } = setUp();
    expect(await conversation.edit(bobMessage, 'mine now')).toMatch(/own/);
    await conversation.unsend(bobMessage);
    expect(sent).toEqual([]);
    expect(await conversation.edit(aliceMessage, 'better')).toBeUndefined();
    expect(sent.map(({ envelope }) => envelope.kind)).toEqual(['edit']);
  });

  it('toggles our reaction: a second click takes it back', async () => {
    const { conversation, sent } = setUp();
    await conversation.toggleReaction({ id: bobMessage, emoji: '😂' });
    conversation.receive(sent[0]!.envelope as Envelope & { kind: 'react' }, from(alice));
    await conversation.toggleReaction({ id: bobMessage, emoji: '😂' });
    expect(sent.map(({ envelope }) => envelope)).toMatchObject([{ on: true }, { on: false }]);
  });
});

describe('what a newcomer or a returning peer gets', () => {
  it('sends a newcomer our reactions, and edited text with the messages', async () => {
    const { conversation, history, sent } = setUp();
    conversation.receive({ v: 1, kind: 'edit', id: aliceMessage, text: 'edited' }, from(alice, 150));
    conversation.receive({ v: 1, kind: 'react', id: bobMessage, emoji: '👀', on: true }, from(alice));
    await conversation.answer(bob, undefined);
    expect(sent).toEqual([
      { envelope: { v: 1, kind: 'reactions', items: [{ id: bobMessage, emoji: '👀' }] }, to: bob },
    ]);
    expect(history.delivered(alice, 0)).toEqual([{ id: aliceMessage, text: 'edited', ts: 10, edited: 150 }]);
  });

  it('sends a returning peer what changed since its summary: edits, unsends, our reactions', async () => {
    const { conversation, history, sent } = setUp();
    history.addDelivered(alice, [{ id: bobMessage.replace('2', '3'), text: 'later', ts: 50 }], 0);
    conversation.receive({ v: 1, kind: 'edit', id: aliceMessage, text: 'edited' }, from(alice, 150));
    conversation.receive({ v: 1, kind: 'unsend', id: bobMessage.replace('2', '3') }, from(alice, 160));
    const summary: Envelope = { v: 1, kind: 'summary', have: { [alice]: 50 } };
    await conversation.answer(bob, summary);
    expect(sent.map(({ envelope }) => envelope.kind)).toEqual(['unsend', 'reactions']);
    expect(history.delivered(alice, 0, 50).map((message) => message.text)).toEqual(['edited']);
  });

  it('applies a newer edit that arrives in a batch for a message already held', () => {
    const { history, text } = setUp();
    history.addDelivered(alice, [{ id: aliceMessage, text: 'edited later', ts: 10, edited: 300 }], 0);
    history.addDelivered(alice, [{ id: aliceMessage, text: 'older edit', ts: 10, edited: 200 }], 0);
    history.addDelivered(bob, [{ id: aliceMessage, text: 'forged in a batch', ts: 10, edited: 900 }], 0);
    expect(text(aliceMessage)).toBe('edited later');
  });
});
