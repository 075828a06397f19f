// fast-check arbitraries for what a hostile client sends the relay: frames
// of the right shape with the wrong contents, the wrong shape, unknown and
// spoofed commands, deep nesting, huge numbers, long strings, lone
// surrogates, mutations of valid frames, binary frames and fragments; apart,
// the frames that break the WebSocket protocol itself; and upgrade requests
// with odd paths, tokens and origins.
import fc from 'fast-check';
import { ERROR_CODES, utf8Length } from '../../protocol/index.ts';
import { Opcode, upgradeRequest, type RawFrame } from './raw-websocket.ts';

/** What a fuzzing connection knows when it sends. */
export interface SendContext {
  /** Another member of its room, when it knows one. */
  roommate: string | undefined;
}

/** A message the protocol must answer with a frame or nothing, never a close. */
export interface HostileMessage {
  label: string;
  build(context: SendContext): RawFrame[];
}

/** Input that breaks the WebSocket protocol or the relay's limits. */
export interface ProtocolViolation {
  label: string;
  frames: RawFrame[];
  /**
   * What the relay may do: close with one of these codes (undefined for a
   * cut without a close frame), close with any code, or read on.
   */
  outcome: readonly (number | undefined)[] | 'any close' | 'may read on';
}

export interface Limits {
  maxPayload: number;
  frameLimit: number;
}

/** Printed by fast-check when a property fails: the labels, not megabytes of bytes. */
function labelled<T extends { label: string }>(value: T): T {
  return Object.assign(value, { [fc.toStringMethod]: () => value.label });
}

function message(label: string, build: (context: SendContext) => RawFrame[]): HostileMessage {
  return labelled({ label, build });
}

const text = (payload: string | Uint8Array): RawFrame => ({
  opcode: Opcode.text,
  payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
});

const fixedText = (label: string, content: string): HostileMessage => message(label, () => [text(content)]);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

/** Characters that stress JSON escaping and UTF-8 counting. */
const awkwardUnit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  loneSurrogate,
  fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u2028', '\ufeff', 'é', '😀', '\ud83d\ude00'),
);

const payloadString = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: awkwardUnit, maxLength: 32 }),
);

/** Ids a spoofer might use: real ones from other rooms, random ones, and things that are no id at all. */
function idLike(knownIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...knownIds),
    fc.uuid(),
    fc.uuid().map((id) => id.toUpperCase()),
    fc.string({ unit: awkwardUnit, maxLength: 40 }),
  );
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });

function validFrame(knownIds: string[]): fc.Arbitrary<unknown[]> {
  return fc.oneof(
    payloadString.map((payload) => ['send', payload]),
    fc.tuple(payloadString, idLike(knownIds)).map(([payload, to]) => ['send', payload, to]),
    fc.constant<unknown[]>(['fetch']),
    payloadString.map((summary) => ['fetch', summary]),
  );
}

const wrongShape = fc
  .tuple(fc.oneof(fc.constantFrom('send', 'fetch'), jsonValue), fc.array(jsonValue, { maxLength: 5 }))
  .map(([command, params]) => [command, ...params]);

function spoofed(knownIds: string[]): fc.Arbitrary<unknown[]> {
  const id = idLike(knownIds);
  return fc.oneof(
    fc.tuple(id, payloadString, fc.double()).map(([from, payload, ts]) => ['add', from, payload, ts]),
    id.map((gone) => ['rm', gone]),
    fc
      .tuple(id, fc.array(id, { maxLength: 3 }))
      .map(([self, peers]) => ['init', self, peers, { v: 1, limits: { maxPayload: 1e9, rate: 0, burst: 1e9 } }]),
    fc.tuple(fc.constantFrom(...ERROR_CODES), payloadString).map(([code, text]) => ['error', code, text]),
    fc.tuple(payloadString, id).map(([summary, requester]) => ['fetch', summary, requester]),
    fc.tuple(id, payloadString).map(([from, payload]) => ['send', payload, from, from]),
  );
}

const unknownCommand = fc
  .tuple(
    fc.oneof(fc.mixedCase(fc.constantFrom('send', 'fetch', 'add', 'rm', 'init')), fc.string({ unit: awkwardUnit })),
    fc.array(jsonValue, { maxLength: 3 }),
  )
  .filter(([command]) => command !== 'send' && command !== 'fetch')
  .map(([command, params]) => [command, ...params]);

const numberText = fc.oneof(
  fc.constantFrom('1e999', '-1e999', '1e-999', '-0', '0e0', '9007199254740993', `1${'0'.repeat(400)}`),
  fc.double().map((n) => JSON.stringify(n)),
  fc.bigInt().map(String),
);

const hugeNumbers = fc
  .tuple(fc.constantFrom('send', 'fetch', 'add'), fc.array(numberText, { minLength: 1, maxLength: 4 }))
  .map(([command, numbers]) => `["${command}",${numbers.join(',')}]`);

/** Nesting as deep as a frame within the limit holds, mostly shallower; closed or left open. */
function deepNesting(limits: Limits): fc.Arbitrary<string> {
  const maxLevels = Math.floor((limits.frameLimit - 16) / 2);
  const levels = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 1000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: maxLevels }) },
  );
  return fc
    .tuple(levels, fc.constantFrom('arrays', 'arrays in send', 'objects in send'), fc.boolean())
    .map(([depth, shape, closed]) => {
      if (shape === 'arrays') return '['.repeat(depth) + (closed ? ']'.repeat(depth) : '');
      if (shape === 'arrays in send') return `["send",${'['.repeat(depth)}${closed ? `${']'.repeat(depth)}]` : ''}`;
      // An object level takes three times the bytes of an array level.
      const objects = Math.floor(depth / 3);
      return `["send",${'{"a":'.repeat(objects)}1${closed ? `${'}'.repeat(objects)}]` : ''}`;
    });
}

/** Payloads and summaries at the edge of maxPayload, in characters of one to four bytes and in escapes. */
function nearTheLimit(limits: Limits): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('x', 'é', '€', '😀', '"', '\ud800', '\u0000'),
      fc.integer({ min: -2, max: 2 }),
      fc.constantFrom('send', 'fetch'),
    )
    .map(([unit, offset, command]) => {
      const units = Math.max(0, Math.floor(limits.maxPayload / utf8Length(unit)) + offset);
      return JSON.stringify([command, unit.repeat(units)]);
    });
}

const repeatedString = fc
  .tuple(fc.string({ unit: awkwardUnit, minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 5000 }))
  .map(([chunk, times]) => JSON.stringify(['send', chunk.repeat(times)]));

interface Mutation {
  kind: 'insert' | 'delete' | 'replace' | 'duplicate' | 'truncate';
  at: number;
  length: number;
  text: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('insert', 'delete', 'replace', 'duplicate', 'truncate'),
  at: fc.nat(),
  length: fc.nat({ max: 16 }),
  text: fc.oneof(fc.constantFrom('"', '[', ']', ',', '\\', '{', ':', 'null'), fc.string({ unit: awkwardUnit })),
});

function mutate(frame: string, { kind, at, length, text }: Mutation): string {
  const start = at % (frame.length + 1);
  const end = Math.min(frame.length, start + length);
  switch (kind) {
    case 'insert':
      return frame.slice(0, start) + text + frame.slice(start);
    case 'delete':
      return frame.slice(0, start) + frame.slice(end);
    case 'replace':
      return frame.slice(0, start) + text + frame.slice(end);
    case 'duplicate':
      return frame.slice(0, end) + frame.slice(start);
    case 'truncate':
      return frame.slice(0, start);
  }
}

function mutated(knownIds: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(validFrame(knownIds), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([frame, mutations]) => mutations.reduce(mutate, JSON.stringify(frame)));
}

const oddText = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'null',
    '{}',
    '"send"',
    '\ufeff["fetch"]',
    '["fetch"] trailing',
    '["send","a"]["send","b"]',
    '["send","a",]',
    "['send','a']",
    '[,]',
    '[\u0000]',
  ),
  fc.string({ unit: awkwardUnit, maxLength: 64 }),
);

/** Splits a message's bytes into a fragmented message, with pings between some fragments. */
function fragmented(
  content: fc.Arbitrary<string>,
  opcodes: number[] = [Opcode.text, Opcode.binary],
): fc.Arbitrary<RawFrame[]> {
  return fc
    .tuple(content, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.constantFrom(...opcodes), fc.boolean())
    .map(([body, cutsAt, opcode, withPings]) => {
      const bytes = Buffer.from(body);
      const cuts = [...cutsAt.map((at) => at % (bytes.length + 1)), bytes.length].sort((a, b) => a - b);
      const frames: RawFrame[] = [];
      let from = 0;
      cuts.forEach((to, index) => {
        const last = index === cuts.length - 1;
        frames.push({
          opcode: index === 0 ? opcode : Opcode.continuation,
          fin: last,
          payload: bytes.subarray(from, to),
        });
        if (withPings && !last) frames.push({ opcode: Opcode.ping, payload: Buffer.from(`p${index}`) });
        from = to;
      });
      return frames;
    });
}

/** Messages a relay must answer within the protocol and keep the connection open. */
export function hostileMessage(limits: Limits, knownIds: string[]): fc.Arbitrary<HostileMessage> {
  const jsonText = (label: string, frames: fc.Arbitrary<unknown[]>) =>
    frames.map((frame) => fixedText(label, JSON.stringify(frame)));
  const rawText = (label: string, texts: fc.Arbitrary<string>) => texts.map((content) => fixedText(label, content));
  const withinFrameLimit = (texts: fc.Arbitrary<string>) =>
    texts.filter((content) => Buffer.byteLength(content) <= limits.frameLimit);
  const anyText = fc.oneof(
    validFrame(knownIds).map((frame) => JSON.stringify(frame)),
    mutated(knownIds),
    oddText,
  );
  // Frames of tens of KiB are about one message in two hundred, so 100,000 stay quick.
  return fc.oneof(
    { weight: 64, arbitrary: jsonText('valid frame', validFrame(knownIds)) },
    {
      weight: 16,
      arbitrary: payloadString.map((payload) =>
        message('unicast to a roommate', ({ roommate }) => [
          text(JSON.stringify(roommate ? ['send', payload, roommate] : ['send', payload])),
        ]),
      ),
    },
    { weight: 64, arbitrary: jsonText('wrong types or arity', wrongShape) },
    { weight: 32, arbitrary: jsonText('spoofed command or id', spoofed(knownIds)) },
    { weight: 24, arbitrary: jsonText('unknown command', unknownCommand) },
    { weight: 20, arbitrary: rawText('huge numbers', hugeNumbers) },
    { weight: 2, arbitrary: rawText('deep nesting', deepNesting(limits)) },
    { weight: 1, arbitrary: rawText('payload near maxPayload', withinFrameLimit(nearTheLimit(limits))) },
    { weight: 2, arbitrary: rawText('long string', withinFrameLimit(repeatedString)) },
    { weight: 72, arbitrary: rawText('mutated valid frame', mutated(knownIds)) },
    { weight: 20, arbitrary: rawText('odd text', oddText) },
    {
      weight: 20,
      arbitrary: fc
        .oneof(
          fc.uint8Array({ maxLength: 512 }),
          anyText.map((content) => Buffer.from(content)),
        )
        .map((bytes) => message('binary frame', () => [{ opcode: Opcode.binary, payload: bytes }])),
    },
    { weight: 24, arbitrary: fragmented(anyText).map((frames) => message('fragmented message', () => frames)) },
    {
      weight: 12,
      arbitrary: fc
        .tuple(fc.constantFrom(Opcode.ping, Opcode.pong), fc.uint8Array({ maxLength: 125 }))
        .map(([opcode, payload]) => message('ping or pong', () => [{ opcode, payload }])),
    },
  );
}

const invalidUtf8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xf5, 0x80, 0x80, 0x80], [0x80]];
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function violation(label: string, frames: RawFrame[], outcome: ProtocolViolation['outcome']): ProtocolViolation {
  return labelled({ label, frames, outcome });
}

/** Close codes for a protocol error: a close frame with 1002 or 1007, or a cut. */
const protocolError = [undefined, 1002, 1007] as const;

/** Violations of the WebSocket protocol and of the relay's limits, each with what the relay may do. */
export function protocolViolation(limits: Limits, knownIds: string[]): fc.Arbitrary<ProtocolViolation> {
  const frameText = validFrame(knownIds).map((frame) => Buffer.from(JSON.stringify(frame)));
  const badUtf8 = fc
    .tuple(frameText, fc.constantFrom(...invalidUtf8), fc.nat())
    .map(([bytes, sequence, at]) => {
      const start = at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, start), Buffer.from(sequence), bytes.subarray(start)]);
    })
    .filter((bytes) => !isValidUtf8(bytes));
  const oversize = fc
    .integer({ min: limits.frameLimit + 1, max: 4 * limits.frameLimit })
    .map((size) => JSON.stringify(['send', 'x'.repeat(size - '["send",""]'.length)]));
  return fc.oneof(
    badUtf8.map((bytes) => violation('invalid UTF-8', [text(bytes)], protocolError)),
    fragmented(fc.constant('["send","fragment"]'), [Opcode.text]).chain((frames) =>
      badUtf8.map((bytes) =>
        violation(
          'invalid UTF-8 in fragments',
          [...frames.slice(0, -1), { ...frames.at(-1)!, payload: bytes }],
          protocolError,
        ),
      ),
    ),
    fc
      .tuple(frameText, fc.integer({ min: 1, max: 7 }), fc.constantFrom(Opcode.text, Opcode.binary))
      .map(([payload, rsv, opcode]) => violation('reserved bits', [{ opcode, payload, rsv }], protocolError)),
    fc
      .tuple(fc.constantFrom(3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf), fc.uint8Array({ maxLength: 64 }))
      .map(([opcode, payload]) => violation('unknown opcode', [{ opcode, payload }], protocolError)),
    // uWebSockets.js reads a mask key whether or not the mask bit is set, so it
    // takes an unmasked frame for a masked one and may wait for bytes that never come.
    frameText.map((payload) =>
      violation('unmasked frame', [{ opcode: Opcode.text, payload, masked: false }], 'may read on'),
    ),
    fc
      .tuple(frameText, fc.boolean())
      .map(([payload, fin]) =>
        violation('continuation without a start', [{ opcode: Opcode.continuation, payload, fin }], protocolError),
      ),
    frameText.map((payload) =>
      violation(
        'new message inside a fragmented one',
        [
          { opcode: Opcode.text, payload, fin: false },
          { opcode: Opcode.text, payload },
        ],
        protocolError,
      ),
    ),
    fc
      .tuple(
        fc.constantFrom(Opcode.ping, Opcode.pong, Opcode.close),
        fc.uint8Array({ minLength: 126, maxLength: 1024 }),
      )
      .map(([opcode, payload]) => violation('control frame over 125 bytes', [{ opcode, payload }], protocolError)),
    fc
      .constantFrom(Opcode.ping, Opcode.pong)
      .map((opcode) =>
        violation('fragmented control frame', [{ opcode, payload: Buffer.from('x'), fin: false }], protocolError),
      ),
    fc
      .uint8Array({ maxLength: 123 })
      .map((payload) => violation('close frame', [{ opcode: Opcode.close, payload }], 'any close')),
    oversize.map((content) => violation('frame over the transport limit', [text(content)], [1009])),
    fc
      .oneof(fc.integer({ min: 4 * limits.frameLimit + 1, max: 2 ** 53 - 1 }), fc.constant(2 ** 63))
      .map((declaredLength) =>
        violation(
          'length far over the limit',
          [{ opcode: Opcode.text, payload: Buffer.from('["send"'), declaredLength }],
          [undefined, 1009],
        ),
      ),
  );
}

const pathCharacter = fc.oneof(
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
  fc.constantFrom('%', '%00', '%2F', '/', '?', '#', '..', ' ', 'é'),
);

/** Upgrade paths: rooms with every kind of character and length, odd resume tokens, paths that are no socket. */
const upgradePath = fc.oneof(
  fc.string({ unit: pathCharacter, maxLength: 80 }).map((room) => `/ws/${room}`),
  fc
    .tuple(fc.stringMatching(/^[\w-]{1,70}$/), fc.string({ unit: pathCharacter, maxLength: 300 }))
    .map(([room, token]) => `/ws/${room}?resume=${token}`),
  fc.webPath(),
);

/** Whole upgrade requests to a relay on `port`, with hostile paths and origins. */
export function hostileUpgrade(port: number): fc.Arbitrary<string> {
  return fc
    .tuple(upgradePath, fc.option(fc.oneof(fc.webUrl(), fc.string({ unit: pathCharacter, maxLength: 40 }))))
    .map(([path, origin]) => {
      const request = upgradeRequest(port, path);
      return origin === null ? request : request.replace('\r\n\r\n', `\r\nOrigin: ${origin}\r\n\r\n`);
    });
}
