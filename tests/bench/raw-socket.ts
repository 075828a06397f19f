// The load generator's WebSocket client: lean, on the shared wire format. It
// sends text frames and hands text frames over as views into the socket's own
// buffers (see FrameReader), answers pings and leaves on a close.
import { connect, type Socket } from 'node:net';
import {
  encodeFrame,
  FrameReader,
  Opcode,
  upgradeAnswer,
  upgradeRequest,
  type FrameHandler,
} from '../support/raw-websocket.ts';

export interface RawSocketOptions {
  port: number;
  path: string;
  onText: FrameHandler;
  timeoutMs?: number;
}

const normalClosure = Buffer.from([0x03, 0xe8]); // 1000

export class RawSocket {
  closed = false;
  /** Resolves once upgraded; rejects on refusal, error or timeout. */
  readonly upgraded: Promise<void>;
  readonly #socket: Socket;

  constructor(options: RawSocketOptions) {
    const { port, path, timeoutMs = 10_000 } = options;
    const socket = (this.#socket = connect({ port, host: '127.0.0.1', noDelay: true }));
    const reader = new FrameReader((data, start, end, opcode, fin) => {
      if (opcode === Opcode.text) options.onText(data, start, end, opcode, fin);
      else if (opcode === Opcode.ping)
        this.#write(encodeFrame({ opcode: Opcode.pong, payload: data.subarray(start, end) }));
      else if (opcode === Opcode.close) socket.destroy();
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => socket.destroy());
    socket.write(upgradeRequest(port, path));
    this.upgraded = upgradeAnswer(socket, timeoutMs).then(
      (firstFrames) => {
        socket.on('data', (chunk: Buffer) => reader.push(chunk));
        reader.push(firstFrames);
      },
      (error: Error) => {
        throw new Error(`${path}: ${error.message}`, { cause: error });
      },
    );
  }

  send(text: string): void {
    this.#write(textFrame(text));
  }

  /** Several frames in one write, as a busy client's socket would carry them. */
  sendAll(texts: string[]): void {
    if (texts.length > 0) this.#write(Buffer.concat(texts.map(textFrame)));
  }

  /** Leaves with a close handshake (1000), as a closing tab does. */
  close(): void {
    if (this.closed) return;
    this.#write(encodeFrame({ opcode: Opcode.close, payload: normalClosure }));
    this.#socket.end();
    // A relay that does not answer the close still loses the socket.
    setTimeout(() => this.#socket.destroy(), 2000).unref();
  }

  #write(data: Buffer): void {
    if (!this.closed) this.#socket.write(data);
  }
}

function textFrame(text: string): Buffer {
  return encodeFrame({ opcode: Opcode.text, payload: Buffer.from(text) });
}
