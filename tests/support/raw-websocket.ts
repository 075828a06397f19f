// A WebSocket client written byte by byte over TCP: the wire format once, for
// the fuzz test, which sends the frames the `ws` package will not (invalid
// UTF-8 in text frames, hand-made fragments, reserved bits, unknown opcodes,
// unmasked frames, lengths that lie), and for the benchmark's load generator,
// which reads frames as views into the socket's own buffers, so counting a
// delivery costs a few byte comparisons rather than a decode and a JSON.parse.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { sleep } from './wait.ts';

export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

export interface RawFrame {
  opcode: number;
  payload: Uint8Array;
  /** Defaults to true; false starts or continues a fragmented message. */
  fin?: boolean;
  /** The three reserved bits, 0 to 7. */
  rsv?: number;
  /** Defaults to true: RFC 6455 requires clients to mask. */
  masked?: boolean;
  /** Written in the header instead of the payload's real length. */
  declaredLength?: number;
}

// Masks need no cryptographic strength here, only to vary: they come from a
// pool drawn once, so sending costs no call into the random source.
const maskPool = randomBytes(64 * 1024);
let maskOffset = 0;

/** The bytes of one frame as a client writes it, in a single allocation. */
export function encodeFrame(frame: RawFrame): Buffer {
  const { opcode, payload, fin = true, rsv = 0, masked = true } = frame;
  const length = frame.declaredLength ?? payload.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const body = 2 + lengthBytes + (masked ? 4 : 0);
  const bytes = Buffer.allocUnsafe(body + payload.length);
  bytes[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf);
  bytes[1] = (masked ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) bytes.writeUInt16BE(length, 2);
  if (lengthBytes === 8) bytes.writeBigUInt64BE(BigInt(length), 2);
  if (!masked) {
    bytes.set(payload, body);
    return bytes;
  }
  maskOffset = (maskOffset + 4) % maskPool.length;
  const mask = maskPool.subarray(maskOffset, maskOffset + 4);
  mask.copy(bytes, body - 4);
  for (let i = 0; i < payload.length; i++) bytes[body + i] = payload[i]! ^ mask[i & 3]!;
  return bytes;
}

/** The text of an upgrade request for `path` on the relay at `port`. */
export function upgradeRequest(port: number, path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/**
 * Waits for the relay's answer to an upgrade request sent on `socket`.
 * Resolves with the bytes after its headers, the first frames; rejects with
 * the status line when the relay refuses, or when the connection fails,
 * closes or has no answer within `timeoutMs`, and then destroys the socket.
 * The socket's owner keeps an 'error' listener of its own for afterwards.
 */
export function upgradeAnswer(socket: Socket, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`no upgrade answer within ${timeoutMs} ms`)), timeoutMs);
    const stopListening = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', fail);
    };
    const fail = (error: Error): void => {
      stopListening();
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const statusLine = head.toString('latin1', 0, head.indexOf('\r\n'));
      if (!statusLine.startsWith('HTTP/1.1 101')) return fail(new Error(`upgrade refused: ${statusLine}`));
      stopListening();
      resolve(head.subarray(end + 4));
    };
    const onClose = (): void => fail(new Error('connection closed during the upgrade'));
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', fail);
  });
}

/** Called for each complete frame; `data[start..end)` is its payload, valid only during the call. */
export type FrameHandler = (data: Buffer, start: number, end: number, opcode: number, fin: boolean) => void;

/**
 * Splits a byte stream of unmasked server frames into frames, handed over as
 * views into the bytes read. Only a frame cut across reads is copied, and
 * kept until it is whole.
 */
export class FrameReader {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes the cut frame needs in all, once its header has been read. */
  #needed = 0;

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    if (this.#pending.length > 0) {
      this.#keep(chunk);
      if (this.#pendingBytes < this.#needed) return;
      chunk = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    let offset = 0;
    for (;;) {
      const frame = frameBounds(chunk, offset);
      if (frame.end > chunk.length) {
        this.#needed = frame.end - offset;
        break;
      }
      const first = chunk[offset]!;
      this.onFrame(chunk, frame.start, frame.end, first & 0x0f, (first & 0x80) !== 0);
      offset = frame.end;
    }
    if (offset < chunk.length) this.#keep(chunk.subarray(offset));
  }

  /** A copy, so a quiet socket does not keep a whole read buffer alive for a frame's first bytes. */
  #keep(bytes: Buffer): void {
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
  }
}

/**
 * Payload bounds of the frame at `offset`. When the frame is not all there,
 * `end` is past the buffer: where the frame ends, or where its header does
 * if even that is cut.
 */
function frameBounds(data: Buffer, offset: number): { start: number; end: number } {
  const available = data.length - offset;
  if (available < 2) return { start: offset, end: offset + 2 };
  const short = data[offset + 1]! & 0x7f;
  if (short < 126) return { start: offset + 2, end: offset + 2 + short };
  const header = short === 126 ? 4 : 10;
  if (available < header) return { start: offset, end: offset + header };
  const length = short === 126 ? data.readUInt16BE(offset + 2) : Number(data.readBigUInt64BE(offset + 2));
  return { start: offset + header, end: offset + header + length };
}

/** How a connection ended: a close frame from the relay, or a cut. */
export interface RawClose {
  /** The code of the relay's close frame; undefined when it sent none. */
  code: number | undefined;
}

/**
 * A client socket after a successful upgrade, for sending anything at all. It
 * answers pings and close frames as a client must, hands every text frame
 * from the relay to `onText`, init included, and counts anything else the
 * relay should never send.
 */
export class RawWebSocket {
  /** Binary or fragmented frames from the relay, which only ever sends whole text frames. */
  unexpectedFrames = 0;
  readonly closed: Promise<RawClose>;
  #closeCode: number | undefined;

  private constructor(
    readonly socket: Socket,
    readonly onText: (text: string) => void,
    firstBytes: Buffer,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve({ code: this.#closeCode })));
    const reader = new FrameReader((data, start, end, opcode, fin) =>
      this.#handle(opcode, fin, data.subarray(start, end)),
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    reader.push(firstBytes);
  }

  /**
   * Upgrades a fresh TCP connection to `path`. Rejects with the status line
   * when the relay refuses, or when it has not answered within `timeoutMs`.
   * With `byteDelayMs` the request goes out one byte at a time, that far apart.
   */
  static async open(
    port: number,
    path: string,
    onText: (text: string) => void,
    { timeoutMs = 5000, byteDelayMs = 0 } = {},
  ): Promise<RawWebSocket> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.once('connect', () => void writeSlowly(socket, upgradeRequest(port, path), byteDelayMs));
    return new RawWebSocket(socket, onText, await upgradeAnswer(socket, timeoutMs));
  }

  get isOpen(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  /** Writes bytes as they are; resolves at once, or when the socket has drained if its buffer is full. */
  write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.socket.write(bytes)) resolve();
      else {
        const done = (): void => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      }
    });
  }

  send(frame: RawFrame): Promise<void> {
    return this.write(encodeFrame(frame));
  }

  sendText(text: string): Promise<void> {
    return this.send({ opcode: Opcode.text, payload: Buffer.from(text) });
  }

  /** Cuts the TCP connection without a close handshake, as a network drop would. */
  cut(): Promise<RawClose> {
    this.socket.destroy();
    return this.closed;
  }

  #handle(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === Opcode.ping) void this.send({ opcode: Opcode.pong, payload });
    else if (opcode === Opcode.close) this.#answerClose(payload);
    else if (opcode === Opcode.text && fin) this.onText(payload.toString('utf8'));
    else if (opcode !== Opcode.pong) this.unexpectedFrames++;
  }

  #answerClose(payload: Buffer): void {
    this.#closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
    void this.send({ opcode: Opcode.close, payload: payload.subarray(0, 2) }).then(() => this.socket.end());
  }
}

/** Writes `text` at once, or a byte at a time `byteDelayMs` apart. */
async function writeSlowly(socket: Socket, text: string, byteDelayMs: number): Promise<void> {
  if (byteDelayMs === 0) {
    socket.write(text);
    return;
  }
  for (const byte of Buffer.from(text)) {
    if (socket.destroyed) return;
    socket.write(Buffer.of(byte));
    await sleep(byteDelayMs);
  }
}
