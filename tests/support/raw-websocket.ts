// A WebSocket client written byte by byte over TCP, for the frames the `ws`
// package will not send: invalid UTF-8 in text frames, hand-made fragments,
// reserved bits, unknown opcodes, unmasked frames, lengths that lie.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

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

/** The bytes of one frame as a client writes it. */
export function encodeFrame(frame: RawFrame): Buffer {
  const { opcode, payload, fin = true, rsv = 0, masked = true } = frame;
  const length = frame.declaredLength ?? payload.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (masked ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf);
  header[1] = (masked ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  mask.copy(header, 2 + lengthBytes);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  return Buffer.concat([header, body]);
}

/** How a connection ended: a close frame from the relay, or a cut. */
export interface RawClose {
  /** The code of the relay's close frame; undefined when it sent none. */
  code: number | undefined;
}

/** The text of an upgrade request for `path` on the relay at `port`. */
export function upgradeRequest(port: number, path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/**
 * A client socket after a successful upgrade. It answers pings and close
 * frames as a client must, hands every text frame from the relay to
 * `onText`, init included, and counts anything else the relay should never send.
 */
export class RawWebSocket {
  /** Binary or fragmented frames from the relay, which only ever sends whole text frames. */
  unexpectedFrames = 0;
  readonly closed: Promise<RawClose>;
  #closeCode: number | undefined;
  #pending: Buffer = Buffer.alloc(0);

  private constructor(
    readonly socket: Socket,
    readonly onText: (text: string) => void,
    firstBytes: Buffer,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve({ code: this.#closeCode })));
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.#receive(firstBytes);
  }

  /**
   * Upgrades a fresh TCP connection to `path`. Rejects with the status line
   * when the relay refuses, or when it has not answered within `timeoutMs`.
   * With `byteDelayMs` the request goes out one byte at a time, that far apart.
   */
  static open(
    port: number,
    path: string,
    onText: (text: string) => void,
    { timeoutMs = 5000, byteDelayMs = 0 } = {},
  ): Promise<RawWebSocket> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    return new Promise((resolve, reject) => {
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`no upgrade answer within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('close', onClose);
        clearTimeout(timer);
        const statusLine = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!statusLine.startsWith('HTTP/1.1 101')) return fail(new Error(`upgrade refused: ${statusLine}`));
        resolve(new RawWebSocket(socket, onText, head.subarray(end + 4)));
      };
      const onClose = (): void => fail(new Error('connection closed during the upgrade'));
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.once('connect', () => void writeSlowly(socket, upgradeRequest(port, path), byteDelayMs));
    });
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

  #receive(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    for (;;) {
      const frame = readServerFrame(this.#pending);
      if (!frame) return;
      this.#pending = this.#pending.subarray(frame.size);
      this.#handle(frame);
    }
  }

  #handle({ fin, opcode, payload }: ServerFrame): void {
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
    await new Promise((resolve) => setTimeout(resolve, byteDelayMs));
  }
}

interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
  /** Bytes the frame took, header included. */
  size: number;
}

/** The first whole frame in `bytes`, or undefined while it is incomplete. Servers do not mask. */
function readServerFrame(bytes: Buffer): ServerFrame | undefined {
  if (bytes.length < 2) return undefined;
  const lengthCode = bytes[1]! & 0x7f;
  const headerSize = lengthCode < 126 ? 2 : lengthCode === 126 ? 4 : 10;
  if (bytes.length < headerSize) return undefined;
  const length =
    lengthCode < 126 ? lengthCode : lengthCode === 126 ? bytes.readUInt16BE(2) : Number(bytes.readBigUInt64BE(2));
  if (bytes.length < headerSize + length) return undefined;
  return {
    fin: (bytes[0]! & 0x80) !== 0,
    opcode: bytes[0]! & 0xf,
    payload: bytes.subarray(headerSize, headerSize + length),
    size: headerSize + length,
  };
}
