// The load generator runs in processes of its own, pinned to their own core,
// and takes orders over IPC: prepare a plan (join its peers), then go (run
// it and report). The harness reads the relay's CPU time between the two.
// A load plan can be dealt out to several generator processes, so that the
// delay of one event loop carrying every socket stays out of the latencies.
import type { ChildProcess } from 'node:child_process';
import { mergeLoad, prepareLoad, splitLoad, type LoadPartResult, type LoadPlan, type LoadResult } from './load.ts';
import { prepareNewcomer, type NewcomerPlan, type NewcomerResult } from './newcomer.ts';
import { cpuMs, generatorCpu, relayFileLimit, spawnPinned } from './proc.ts';

export type Plan = LoadPlan | NewcomerPlan;
type Request = { type: 'prepare'; plan: Plan } | { type: 'go' };
type Reply =
  { type: 'ready' } | { type: 'result'; result: LoadPartResult | NewcomerResult } | { type: 'error'; message: string };

/** The generator's side: serves requests until its parent goes away. */
export function serveGenerator(): void {
  let prepared: { run(): Promise<LoadPartResult | NewcomerResult>; close(): void } | undefined;
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

  async go<T extends LoadPartResult | NewcomerResult>(timeoutMs: number): Promise<T> {
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
      // Latencies come back as a Float64Array.
      serialization: 'advanced',
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

/** `count` generator processes: a load plan is dealt out to all of them, a newcomer plan goes to the first. */
export class GeneratorPool {
  readonly #generators: Generator[];
  #busy: Generator[] = [];

  constructor(count: number) {
    this.#generators = Array.from({ length: count }, () => new Generator());
  }

  /** CPU time of the generator processes so far, in ms. */
  cpuMs(): number {
    return this.#generators.reduce((sum, generator) => sum + (generator.pid ? cpuMs(generator.pid) : 0), 0);
  }

  async prepareLoad(plan: LoadPlan, timeoutMs: number): Promise<void> {
    const parts = splitLoad(plan, this.#generators.length);
    this.#busy = this.#generators.slice(0, parts.length);
    await Promise.all(parts.map((part, i) => this.#busy[i]!.prepare(part, timeoutMs)));
  }

  async goLoad(timeoutMs: number): Promise<LoadResult> {
    return mergeLoad(await Promise.all(this.#busy.map((generator) => generator.go<LoadPartResult>(timeoutMs))));
  }

  async prepareNewcomer(plan: NewcomerPlan, timeoutMs: number): Promise<void> {
    await this.#generators[0]!.prepare(plan, timeoutMs);
  }

  goNewcomer(timeoutMs: number): Promise<NewcomerResult> {
    return this.#generators[0]!.go<NewcomerResult>(timeoutMs);
  }

  stop(): void {
    for (const generator of this.#generators) generator.stop();
  }
}
