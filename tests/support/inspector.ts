// The V8 inspector of a relay started with `INSPECT_ENV`, so a test can
// collect garbage before it reads memory: V8 keeps a grown heap for as long as
// it likes, which reads like a leak that is not one.
import WebSocket from 'ws';
import type { RunningRelay } from './relay.ts';

/** Environment for startRelay: the inspector on a free loopback port. */
export const INSPECT_ENV = { NODE_OPTIONS: '--inspect=127.0.0.1:0' };

export class Inspector {
  #nextId = 0;

  private constructor(readonly socket: WebSocket) {}

  static async connect(relay: RunningRelay): Promise<Inspector> {
    const url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(relay.output())?.[1];
    if (!url) throw new Error(`the relay was not started with INSPECT_ENV:\n${relay.output()}`);
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new Inspector(socket);
  }

  /** A full garbage collection in the relay. */
  async collectGarbage(): Promise<void> {
    await this.#call('HeapProfiler.collectGarbage');
  }

  /** Bytes of the relay's JavaScript heap in use. */
  async heapUsed(): Promise<number> {
    const { usedSize } = (await this.#call('Runtime.getHeapUsage')) as { usedSize: number };
    return usedSize;
  }

  close(): void {
    this.socket.close();
  }

  #call(method: string): Promise<unknown> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer from the inspector`)), 10_000);
      const onMessage = (data: WebSocket.RawData): void => {
        const answer = JSON.parse(String(data)) as { id?: number; result?: unknown };
        if (answer.id !== id) return;
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(answer.result);
      };
      this.socket.on('message', onMessage);
      this.socket.send(JSON.stringify({ id, method }));
    });
  }
}
