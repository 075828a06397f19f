// The Node.js side of the connection: sockets from the `ws` package behind
// the interface the client core expects, and why the last attempt failed, so
// the terminal can say it in words and exit codes.
import WebSocket from 'ws';
import { CloseCode, maxFrameLength } from '../../../protocol/index.ts';
import type { SocketLike } from '../lib/connection.ts';

/** The largest payload a relay can be configured to accept (its MAX_PAYLOAD ceiling). */
const largestRelayPayload = 16 * 1024 * 1024;

export type Failure =
  | { kind: 'unreachable' }
  | { kind: 'room-full' }
  /** The relay answered the upgrade with an HTTP error. */
  | { kind: 'refused'; status: number };

class SocketClosed extends Event implements CloseEvent {
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly wasClean: boolean,
  ) {
    super('close');
  }
}

/** One `ws` socket seen as the page's WebSocket. */
class NodeSocket implements SocketLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly closed: Promise<void>;
  readonly #socket: WebSocket;

  constructor(url: string, pageOrigin: string, failed: (failure: Failure) => void) {
    // The Origin a browser on the link's page would send, so a relay that limits origins treats both alike.
    this.#socket = new WebSocket(url, {
      headers: { Origin: pageOrigin },
      maxPayload: maxFrameLength(largestRelayPayload),
    });
    this.#socket.on('message', (data, isBinary) => {
      if (!isBinary) this.onmessage?.(new MessageEvent('message', { data: String(data) }));
    });
    this.#socket.on('unexpected-response', (request, response) => {
      failed({ kind: 'refused', status: response.statusCode ?? 0 });
      request.destroy(new Error('upgrade refused'));
    });
    this.#socket.on('error', () => {
      failed({ kind: 'unreachable' });
      this.onerror?.(new Event('error'));
    });
    this.closed = new Promise((resolve) => {
      this.#socket.on('close', (code, reason) => {
        if (code === CloseCode.tryAgainLater) failed({ kind: 'room-full' });
        this.onclose?.(new SocketClosed(code, String(reason), code !== 1006));
        resolve();
      });
    });
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  send(data: string): void {
    this.#socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }
}

/** Makes the sockets of one room, and remembers what went wrong with the latest. */
export class NodeSockets {
  /** Why the latest attempt failed; the first reason given wins (an HTTP refusal also errors). */
  failure: Failure | undefined;
  #latest: NodeSocket | undefined;

  constructor(readonly pageOrigin: string) {}

  readonly createSocket = (url: string): SocketLike => {
    this.failure = undefined;
    this.#latest = new NodeSocket(url, this.pageOrigin, (failure) => (this.failure ??= failure));
    return this.#latest;
  };

  /** Resolves once the latest socket has closed (after `leave()`: once the relay has heard us leave). */
  closed(): Promise<void> {
    return this.#latest?.closed ?? Promise.resolve();
  }
}
