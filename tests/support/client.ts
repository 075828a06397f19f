import WebSocket from 'ws';

type Frame = unknown[];

/**
 * A WebSocket client for tests: queues every frame the relay sends so a test
 * can await them in order, with timeouts instead of hangs.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? ['<binary>'] : (JSON.parse(String(data)) as Frame));
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.#wake();
        resolve({ code, reason: String(reason) });
      });
    });
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const client = new TestClient(new WebSocket(url, options));
    return new Promise((resolve, reject) => {
      client.socket.once('open', () => resolve(client));
      client.socket.once('error', reject);
      client.socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)),
      );
    });
  }

  /** Connects and waits for init; resolves with the client, its id, peers and info. */
  static async join(url: string, options: WebSocket.ClientOptions = {}) {
    const client = await TestClient.connect(url, options);
    const [, id, peers, info] = (await client.next('init')) as [string, string, string[], Record<string, unknown>];
    return { client, id, peers, info };
  }

  /** The next frame, which must have the given command if one is named. */
  async next(command?: string, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms${command ? ` (expected ${command})` : ''}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const frame = this.frames.shift() as Frame;
    if (command !== undefined && frame[0] !== command) {
      throw new Error(`expected ${command}, got ${JSON.stringify(frame).slice(0, 200)}`);
    }
    return frame;
  }

  /** Resolves if nothing arrives for `ms`; rejects with what arrived otherwise. */
  async expectSilence(ms = 300): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.frames.length > 0) throw new Error(`unexpected frames: ${JSON.stringify(this.frames).slice(0, 300)}`);
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.socket.send(data, { binary });
  }

  /** A clean close, with a close handshake. */
  close(code?: number): Promise<{ code: number; reason: string }> {
    this.socket.close(code);
    return this.closed;
  }

  /** A lost connection: the TCP socket goes away without a close handshake. */
  terminate(): Promise<{ code: number; reason: string }> {
    this.socket.terminate();
    return this.closed;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
