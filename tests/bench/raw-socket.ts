// A minimal WebSocket client over a raw TCP socket, for the load generator:
// it frames and masks what it sends, and hands received frames over as views
// into the socket's own buffers, so counting a delivery costs a few byte
// comparisons rather than a decode and a JSON.parse.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export const Opcode = { text: 1, close: 8, ping: 9, pong: 10 } as const;

/** Called for each complete frame; `data[start..end)` is its payload, valid only during the call. */
export type FrameHandler = (data: Buffer, start: number, end: number, opcode: number) => void;

/**
 * Splits a byte stream of unmasked server frames into frames. A frame cut
 * across reads is kept until it is whole; nothing is copied otherwise.
 */
export class FrameReader {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes the cut frame needs in all, once its header has been read. */
  #needed = 0;

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    if (this.#pending.length > 0) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
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
      this.onFrame(chunk, frame.start, frame.end, chunk[offset]! & 0x0f);
      offset = frame.end;
    }
    if (offset < chunk.length) {
      this.#pending.push(chunk.subarray(offset));
      this.#pendingBytes = chunk.length - offset;
    }
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

// Masks need no cryptographic strength here, only to vary: they come from a
// pool drawn once, so sending costs no call into the random source.
const maskPool = randomBytes(64 * 1024);
let maskOffset = 0;

/** A masked client frame holding `payload`. */
export function clientFrame(payload: Buffer, opcode: number = Opcode.text): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (header === 2) frame[1] = 0x80 | length;
  else if (header === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  maskOffset = (maskOffset + 4) % maskPool.length;
  const mask = maskPool.subarray(maskOffset, maskOffset + 4);
  mask.copy(frame, header);
  const body = header + 4;
  for (let i = 0; i < length; i++) frame[body + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

export interface RawSocketOptions {
  port: number;
  path: string;
  host?: string;
  onText: FrameHandler;
  timeoutMs?: number;
}

export class RawSocket {
  closed = false;
  /** Resolves once upgraded; rejects on refusal, error or timeout. */
  readonly upgraded: Promise<void>;
  readonly #socket: Socket;

  constructor(options: RawSocketOptions) {
    const { port, path, host = '127.0.0.1', timeoutMs = 10_000 } = options;
    const socket = (this.#socket = connect({ port, host, noDelay: true }));
    const reader = new FrameReader((data, start, end, opcode) => {
      if (opcode === Opcode.text) options.onText(data, start, end, opcode);
      else if (opcode === Opcode.ping) this.#write(clientFrame(data.subarray(start, end), Opcode.pong));
      else if (opcode === Opcode.close) socket.destroy();
    });
    socket.on('close', () => (this.closed = true));
    this.upgraded = new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`upgrade of ${path} timed out`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!status.startsWith('HTTP/1.1 101')) return fail(new Error(`upgrade of ${path} refused: ${status}`));
        clearTimeout(timer);
        socket.off('data', onHead);
        const onData = (data: Buffer): void => reader.push(data);
        socket.on('data', onData);
        resolve();
        if (end + 4 < head.length) onData(head.subarray(end + 4));
      };
      socket.on('data', onHead);
      socket.on('error', fail);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  }

  send(text: string): void {
    this.#write(clientFrame(Buffer.from(text)));
  }

  /** Several frames in one write, as a busy client's socket would carry them. */
  sendAll(texts: string[]): void {
    if (texts.length > 0) this.#write(Buffer.concat(texts.map((text) => clientFrame(Buffer.from(text)))));
  }

  /** Leaves with a close handshake (1000), as a closing tab does. */
  close(): void {
    if (this.closed) return;
    this.#write(clientFrame(Buffer.from([0x03, 0xe8]), Opcode.close));
    this.#socket.end();
    // A relay that does not answer the close still loses the socket.
    setTimeout(() => this.#socket.destroy(), 2000).unref();
  }

  #write(data: Buffer): void {
    if (!this.closed) this.#socket.write(data);
  }
}
