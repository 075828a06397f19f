// onetimechat protocol v1: the single source of truth for the wire format.
// Imported by the relay and the client; see protocol/README.md for the spec.

export const PROTOCOL_VERSION = 1;

/** WebSocket path prefix; the room id follows it: `/ws/<room>`. */
export const SOCKET_PATH_PREFIX = '/ws/';

/** A room id as it appears on the wire and in the socket path. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Close codes the relay uses, named by why it closes. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  tooLarge: 1009,
  tryAgainLater: 1013,
  /** The same id resumed on a newer connection; do not reconnect this one. */
  replaced: 4001,
} as const;

export type PeerId = string;

/** The latest time a Date can hold (ms since the epoch); every timestamp on the wire is at most this. */
export const MAX_TIMESTAMP = 8.64e15;

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_TIMESTAMP;
}

/**
 * The largest frame the transport accepts: room for a payload of maxPayload
 * bytes written with JSON escapes, plus the frame around it. Anything longer
 * is closed with 1009; a shorter frame whose payload is still over maxPayload
 * gets a too_large error and the connection stays open.
 */
export function maxFrameLength(maxPayload: number): number {
  return 2 * maxPayload + 1024;
}

export interface Limits {
  /** Largest payload or summary, in bytes of UTF-8. */
  maxPayload: number;
  /** Frames per second a connection may send on average (0: unlimited). */
  rate: number;
  /** Frames a connection may send at once before the rate applies. */
  burst: number;
  /**
   * Bytes of frames a connection may send per second on average, beside the
   * frame rate (0: unlimited), and how many at once. A relay that does not
   * announce them has no byte budget.
   */
  byteRate?: number;
  byteBurst?: number;
}

/** The fourth element of `init`. Clients ignore fields they do not know. */
export interface InitInfo {
  v: number;
  limits: Limits;
  [extension: string]: unknown;
}

export const ERROR_CODES = [
  'bad_frame',
  'unknown_command',
  'too_large',
  'rate_limited',
  'no_such_peer',
  'room_full',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Frames the relay sends. */
export type RelayFrame =
  | ['init', PeerId, PeerId[], InitInfo]
  | ['add', PeerId, string, number]
  | ['fetch', PeerId]
  | ['fetch', PeerId, string]
  | ['rm', PeerId]
  | ['error', ErrorCode, string];

/** Frames a client sends. */
export type ClientFrame = ['send', string] | ['send', string, PeerId] | ['fetch'] | ['fetch', string];

/**
 * A client frame as the relay needs it: the decoded strings for checks, and
 * the exact JSON text of payload and summary so the relay can forward them
 * without re-serialising.
 */
export type ClientRequest =
  { type: 'send'; payloadJson: string; to: PeerId | undefined } | { type: 'fetch'; summaryJson: string | undefined };

export interface ProtocolError {
  type: 'error';
  code: ErrorCode;
  message: string;
}

export function isRoomId(value: string): boolean {
  return ROOM_ID_PATTERN.test(value);
}

/** The room id of a socket path, or undefined when the path is not `/ws/<room>`. */
export function roomFromPath(path: string): string | undefined {
  if (!path.startsWith(SOCKET_PATH_PREFIX)) return undefined;
  const room = path.slice(SOCKET_PATH_PREFIX.length);
  return isRoomId(room) ? room : undefined;
}

/** UTF-8 length of a string, without allocating. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 2; // the pair takes 4 bytes for its 2 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

const utf8Encoder = new TextEncoder();
/** Where fitsPayload encodes long strings; grown to the largest maxPayload asked about. */
let encodeScratch = new Uint8Array(0);

function fitsPayload(text: string, maxPayload: number): boolean {
  // A UTF-16 unit is 1 to 3 bytes of UTF-8, so most strings are decided by their length alone.
  if (text.length > maxPayload) return false;
  if (text.length * 3 <= maxPayload) return true;
  // A history batch near the limit: the native encoder, several times faster than
  // counting in JavaScript, fills maxPayload bytes and stops where the text would overflow.
  if (encodeScratch.length < maxPayload) encodeScratch = new Uint8Array(maxPayload);
  return utf8Encoder.encodeInto(text, encodeScratch.subarray(0, maxPayload)).read === text.length;
}

function fail(code: ErrorCode, message: string): ProtocolError {
  return { type: 'error', code, message };
}

function parseArray(text: string): unknown[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return Array.isArray(value) ? value : undefined;
}

/**
 * Validates a frame from a client. Returns the request, or the error to send
 * back. Never throws, whatever the input.
 */
export function decodeClientFrame(text: string, maxPayload: number): ClientRequest | ProtocolError {
  const frame = parseArray(text);
  if (!frame || frame.length === 0) return fail('bad_frame', 'a frame is a JSON array [command, ...params]');
  const [command, first, second] = frame;
  if (typeof command !== 'string') return fail('bad_frame', 'the command must be a string');
  switch (command) {
    case 'send': {
      if (frame.length > 3 || typeof first !== 'string' || (frame.length === 3 && typeof second !== 'string')) {
        return fail('bad_frame', 'send takes a payload string and an optional peer id');
      }
      if (!fitsPayload(first, maxPayload)) return fail('too_large', `payload is over ${maxPayload} bytes`);
      return { type: 'send', payloadJson: stringTokenAt(text, 1), to: second as string | undefined };
    }
    case 'fetch': {
      if (frame.length > 2 || (frame.length === 2 && typeof first !== 'string')) {
        return fail('bad_frame', 'fetch takes an optional summary string');
      }
      if (typeof first === 'string' && !fitsPayload(first, maxPayload)) {
        return fail('too_large', `summary is over ${maxPayload} bytes`);
      }
      return { type: 'fetch', summaryJson: frame.length === 2 ? stringTokenAt(text, 1) : undefined };
    }
    default:
      return fail(
        'unknown_command',
        `clients may send only send and fetch, not ${JSON.stringify(command.slice(0, 32))}`,
      );
  }
}

/**
 * The JSON text of the string element at `index` of an array that is already
 * known to be valid JSON whose elements up to `index` are all strings.
 */
function stringTokenAt(json: string, index: number): string {
  let position = json.indexOf('[') + 1;
  for (let element = 0; ; element++) {
    const start = json.indexOf('"', position);
    const end = closingQuote(json, start);
    if (element === index) return json.slice(start, end + 1);
    position = end + 1;
  }
}

function closingQuote(json: string, openingQuote: number): number {
  let quote = json.indexOf('"', openingQuote + 1);
  while (isEscaped(json, quote)) quote = json.indexOf('"', quote + 1);
  return quote;
}

function isEscaped(json: string, quote: number): boolean {
  let backslashes = 0;
  while (json.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
  return backslashes % 2 === 1;
}

// Encoders for the relay. Payload and summary arrive as JSON text already
// validated by decodeClientFrame; ids, codes and messages are ours.

export function encodeInit(self: PeerId, peers: PeerId[], info: InitInfo): string {
  return JSON.stringify(['init', self, peers, info]);
}

export function encodeAdd(from: PeerId, payloadJson: string, ts: number): string {
  return `["add","${from}",${payloadJson},${ts}]`;
}

export function encodeFetch(requester: PeerId, summaryJson?: string): string {
  return summaryJson === undefined ? `["fetch","${requester}"]` : `["fetch","${requester}",${summaryJson}]`;
}

export function encodeRm(id: PeerId): string {
  return `["rm","${id}"]`;
}

export function encodeError(code: ErrorCode, message: string): string {
  return JSON.stringify(['error', code, message]);
}

// The client side.

export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isLimits(value: unknown): value is Limits {
  if (typeof value !== 'object' || value === null) return false;
  const { maxPayload, rate, burst, byteRate, byteBurst } = value as Record<string, unknown>;
  const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return [maxPayload, rate, burst].every(isCount) && [byteRate, byteBurst].every((n) => n === undefined || isCount(n));
}

function isInitInfo(value: unknown): value is InitInfo {
  if (typeof value !== 'object' || value === null) return false;
  const { v, limits } = value as Record<string, unknown>;
  return typeof v === 'number' && isLimits(limits);
}

/** Validates a frame from the relay; undefined for anything malformed. */
export function decodeRelayFrame(text: string): RelayFrame | undefined {
  const frame = parseArray(text);
  if (!frame) return undefined;
  const [command, a, b, c] = frame;
  switch (command) {
    case 'init':
      return frame.length === 4 && typeof a === 'string' && isStringArray(b) && isInitInfo(c)
        ? ['init', a, b, c]
        : undefined;
    case 'add':
      return frame.length === 4 && typeof a === 'string' && typeof b === 'string' && isTimestamp(c)
        ? ['add', a, b, c]
        : undefined;
    case 'fetch':
      if (typeof a !== 'string') return undefined;
      if (frame.length === 2) return ['fetch', a];
      return frame.length === 3 && typeof b === 'string' ? ['fetch', a, b] : undefined;
    case 'rm':
      return frame.length === 2 && typeof a === 'string' ? ['rm', a] : undefined;
    case 'error':
      return frame.length === 3 && isErrorCode(a) && typeof b === 'string' ? ['error', a, b] : undefined;
    default:
      return undefined;
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(value);
}

/** For exhaustive switches over the frame unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
