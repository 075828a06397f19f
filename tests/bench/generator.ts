// The load generator runs in a process of its own, pinned to its own core,
// and takes orders over IPC: prepare a plan (join its peers), then go (run
// it and report). The harness reads the relay's CPU time between the two.
import type { ChildProcess } from 'node:child_process';
import { prepareLoad, type LoadPlan, type LoadResult } from './load.ts';
import { prepareNewcomer, type NewcomerPlan, type NewcomerResult } from './newcomer.ts';
import { generatorCpu, relayFileLimit, spawnPinned } from './proc.ts';

export type Plan = LoadPlan | NewcomerPlan;
type Request = { type: 'prepare'; plan: Plan } | { type: 'go' };
type Reply =
  { type: 'ready' } | { type: 'result'; result: LoadResult | NewcomerResult } | { type: 'error'; message: string };

/** The generator's side: serves requests until its parent goes away. */
export function serveGenerator(): void {
  let prepared: { run(): Promise<LoadResult | NewcomerResult>; close(): void } | undefined;
  const reply = (message: Reply): void => void process.send!(message);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (request: Request) => {
    const work = async (): Promise<Reply> => {
      if (request.type === 'prepare') {
        prepared?.close();
        prepared = request.plan.kind === 'load' ? await prepareLoad(request.plan) : await prepareNewcomer(request.plan);
        return { type: 'ready' };
      }
      if (!prepared) throw new Error('go before prepare');
      const result = await prepared.run();
      prepared.close();
      prepared = undefined;
      return { type: 'result', result };
    };
    work().then(reply, (error: unknown) => reply({ type: 'error', message: String(error) }));
  });
}

/** The harness's side: a generator process, respawned after a round that timed out. */
export class Generator {
  #child: ChildProcess | undefined;

  /** Prepares `plan`; resolves when its peers have joined. */
  async prepare(plan: Plan, timeoutMs: number): Promise<void> {
    await this.#request({ type: 'prepare', plan }, timeoutMs);
  }

  async go<T extends LoadResult | NewcomerResult>(timeoutMs: number): Promise<T> {
    const reply = await this.#request({ type: 'go' }, timeoutMs);
    if (reply.type !== 'result') throw new Error(`unexpected reply ${reply.type}`);
    return reply.result as T; // the plan prepared decides the result's kind
  }

  /** The generator's process, once started (for its CPU time). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  stop(): void {
    this.#child?.kill('SIGKILL');
    this.#child = undefined;
  }

  #spawn(): ChildProcess {
    const child = spawnPinned(generatorCpu, relayFileLimit, process.execPath, ['scripts/bench.mjs', 'generator'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    return child;
  }

  #request(request: Request, timeoutMs: number): Promise<Reply> {
    const child = (this.#child ??= this.#spawn());
    return new Promise((resolve, reject) => {
      const settle = (error: Error | undefined, reply?: Reply): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) {
          this.stop(); // a generator that failed or hangs is not trusted with the next round
          reject(error);
        } else resolve(reply!);
      };
      const onMessage = (reply: Reply): void =>
        reply.type === 'error' ? settle(new Error(`generator: ${reply.message}`)) : settle(undefined, reply);
      const onExit = (): void => settle(new Error('the generator exited'));
      const timer = setTimeout(() => settle(new Error(`generator gave no answer within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(request);
    });
  }
}
