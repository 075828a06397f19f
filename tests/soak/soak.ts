// The soak: the real relay process under a steady churn of people in many
// rooms. People join, chat (messages to the room, unicasts, fetches, answers
// to fetches), drop and resume within the grace period, drop for good and come
// back as newcomers, and leave; every frame the relay owes them is checked.
// Once a minute it prints the relay's memory and connections; at the end it
// judges whether memory kept growing once the load was steady.
import { readdirSync, readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { decodeRelayFrame } from '../../protocol/index.ts';
import { TestClient } from '../support/client.ts';
import { rssKiB } from '../support/proc.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';
import { sleep } from '../support/wait.ts';
import { defaultGrowthRule, judgeGrowth, type GrowthVerdict, type MemorySample } from './growth.ts';
import { Ledger } from './ledger.ts';

export interface SoakOptions {
  durationMs: number;
  rooms: number;
  peoplePerRoom: number;
  /** Mean pause between one person's messages, unicasts and fetches. */
  actionEveryMs: number;
  log(line: string): void;
}

export interface SoakResult {
  passed: boolean;
  memory: GrowthVerdict;
  delivered: number;
  errors: number;
  firstErrors: string[];
}

export const defaultSoakOptions: SoakOptions = {
  durationMs: 10 * 60_000,
  rooms: 60,
  peoplePerRoom: 5,
  actionEveryMs: 2000,
  log: (line) => console.log(line),
};

const graceMs = 3000;
/** A person stays this long (at random) before leaving, dropping or resuming. */
const lifetimeMs = { min: 5000, max: 20_000 };
/**
 * A person is out of everyone's view this long before its socket closes or is
 * cut, so frames already on their way, from it or to it, get through: a
 * connection cut at once may lose them, and a real client sends those again.
 */
const quietBeforeGoingMs = 2000;
/** How long the relay may take to deliver a frame on a busy machine. */
const deliveryMs = 10_000;
const tickMs = 1000;
const reportEveryMs = 60_000;
/** Random ciphertext-like text, sliced for payloads of varied length. */
const filler = randomBytes(1536).toString('base64');

type State = 'joining' | 'present' | 'away' | 'gone';

class Person {
  id = '';
  resumeToken = '';
  state: State = 'joining';
  /** Whether the current connection took an id back. */
  resumed = false;
  /** When (in the soak's sequence) the current connection's init arrived. */
  presentSince = 0;
  client: TestClient | undefined;
  /** The person's own recent messages, sent again to whoever fetches. */
  readonly own: string[] = [];
  constructor(readonly room: Room) {}
}

class Room {
  /** Everyone the relay should still count in the room: present, or away within the grace period. */
  readonly members = new Map<string, Person>();
  constructor(readonly name: string) {}

  present(except?: Person): Person[] {
    return [...this.members.values()].filter((person) => person.state === 'present' && person !== except);
  }
}

const between = (min: number, max: number): number => min + Math.random() * (max - min);
const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

class Soak {
  readonly ledger = new Ledger<Person>();
  readonly samples: MemorySample[] = [];
  openSockets = 0;
  #sequence = 0;

  constructor(
    readonly relay: RunningRelay,
    readonly options: SoakOptions,
  ) {}

  /** One place in a room, taken by one person after another until the end. */
  async occupy(room: Room, until: number): Promise<void> {
    let staleToken: string | undefined;
    while (Date.now() < until) {
      const person = new Person(room);
      if (await this.join(person, staleToken)) staleToken = await this.live(person, until);
      else await sleep(1000);
    }
  }

  /** Chats until the person is gone; returns its resume token if it dropped for good. */
  async live(person: Person, until: number): Promise<string | undefined> {
    for (;;) {
      await this.chat(person, Math.min(until, Date.now() + between(lifetimeMs.min, lifetimeMs.max)));
      if (person.state === 'gone') return undefined; // the relay closed it, an error already counted
      const ending = Math.random();
      if (Date.now() >= until || ending < 0.5) return this.leave(person);
      if (ending >= 0.85) return this.dropForGood(person);
      if (!(await this.dropAndResume(person))) return undefined;
    }
  }

  /** Connects; a person with an id comes back with it, anyone else arrives as a newcomer. */
  async join(person: Person, token?: string): Promise<boolean> {
    const { room } = person;
    const query = token === undefined ? '' : `?resume=${encodeURIComponent(token)}`;
    const comingBack = person.id !== '';
    const connectingSince = ++this.#sequence;
    let joined;
    try {
      joined = await TestClient.join(this.relay.wsUrl(room.name) + query);
    } catch (error) {
      this.ledger.error(`joining ${room.name}: ${error instanceof Error ? error.message : String(error)}`);
      this.#gone(person);
      return false;
    }
    const { client, id, peers, info } = joined;
    if (info.resumed !== comingBack) this.ledger.error(`${id}: resumed is ${String(info.resumed)}`);
    if (comingBack && id !== person.id) this.ledger.error(`${person.id} resumed as ${id}`);
    if (!comingBack) {
      // Only those the relay listed, and already present before this connection began, surely heard of it.
      const earlier = room.present().filter((p) => p.presentSince < connectingSince && peers.includes(p.id));
      this.ledger.expect(`fetch:${id}`, earlier, deliveryMs);
    }
    person.client = client;
    person.id = id;
    person.resumeToken = String(info.resume);
    person.state = 'present';
    person.resumed = comingBack;
    person.presentSince = ++this.#sequence;
    room.members.set(id, person);
    this.watch(person, client);
    return true;
  }

  watch(person: Person, client: TestClient): void {
    this.openSockets++;
    void client.closed.then(({ code }) => {
      this.openSockets--;
      if (person.client === client) {
        this.ledger.error(`the relay closed ${person.id} with ${code}`);
        this.#gone(person);
      }
    });
    void this.read(person, client);
  }

  async read(person: Person, client: TestClient): Promise<void> {
    while (client.frames.length > 0 || client.socket.readyState === client.socket.OPEN) {
      const frame = await client.next(undefined, reportEveryMs).catch(() => undefined);
      if (frame && person.client === client) this.handle(person, frame);
    }
  }

  /** Every frame must be one the protocol allows, and one the relay owed this person. */
  handle(person: Person, raw: unknown[]): void {
    const frame = decodeRelayFrame(JSON.stringify(raw));
    const { room } = person;
    switch (frame?.[0]) {
      case 'add':
        return this.#delivered(person, frame[1], frame[2]);
      case 'fetch': {
        const [, requester, summary] = frame;
        if (summary === undefined && room.members.get(requester)?.resumed) {
          this.ledger.error(`the resume of ${requester} was announced as an arrival`);
        }
        this.ledger.received(summary === undefined ? `fetch:${requester}` : `fetch:${requester}:${summary}`, person);
        return this.answer(person, requester);
      }
      case 'rm':
        if (room.members.has(frame[1])) this.ledger.error(`rm for ${frame[1]}, who is still in the room`);
        return this.ledger.received(`rm:${frame[1]}`, person);
      default:
        this.ledger.error(`${person.id} got ${JSON.stringify(raw).slice(0, 200)}`);
    }
  }

  #delivered(person: Person, from: string, payload: string): void {
    const [, author, to, sequence] = /^(\S+)>(\S+)#(\d+) /.exec(payload) ?? [];
    if (author !== from) this.ledger.error(`a message of ${String(author)} arrived stamped ${from}`);
    if (to !== '*' && to !== person.id) this.ledger.error(`a unicast to ${String(to)} reached ${person.id}`);
    this.ledger.delivered++;
    this.ledger.received(`add:${String(sequence)}`, person);
  }

  async chat(person: Person, until: number): Promise<void> {
    while (Date.now() < until && person.state === 'present') {
      await sleep(between(0.5, 1.5) * this.options.actionEveryMs);
      if (person.state !== 'present') return;
      const action = Math.random();
      if (action < 0.6) this.say(person);
      else if (action < 0.85) this.whisper(person);
      else this.ask(person);
    }
  }

  say(person: Person): void {
    const text = filler.slice(0, between(40, 800));
    person.own.push(text);
    if (person.own.length > 3) person.own.shift();
    // The sender is among the recipients: the echo is its acknowledgement.
    this.#send(person, text, person.room.present());
  }

  whisper(person: Person): void {
    const to = pick(person.room.present(person));
    if (to) this.#send(person, filler.slice(0, between(40, 400)), [to], to);
  }

  /** A fetch with a summary, as a client sends after a resume or to catch up. */
  ask(person: Person): void {
    const summary = `summary-${++this.#sequence}`;
    this.ledger.expect(`fetch:${person.id}:${summary}`, person.room.present(person), deliveryMs);
    person.client?.send(['fetch', summary]);
  }

  /** Answers a fetch as a client does: its own messages, to the requester only. */
  answer(person: Person, requesterId: string): void {
    const requester = person.room.members.get(requesterId);
    if (requester?.state !== 'present') return;
    for (const text of person.own) this.#send(person, text, [requester], requester);
  }

  #send(person: Person, text: string, recipients: Person[], to?: Person): void {
    const sequence = ++this.#sequence;
    this.ledger.expect(`add:${sequence}`, recipients, deliveryMs);
    const payload = `${person.id}>${to?.id ?? '*'}#${sequence} ${text}`;
    person.client?.send(to ? ['send', payload, to.id] : ['send', payload]);
  }

  /** A clean close: the others get rm at once. */
  async leave(person: Person): Promise<undefined> {
    const client = this.#gone(person);
    this.ledger.expect(`rm:${person.id}`, person.room.present(), quietBeforeGoingMs + deliveryMs);
    await sleep(quietBeforeGoingMs);
    await client?.close(1000);
    return undefined;
  }

  /** A lost connection, back within the grace period: same id, and nobody noticed. */
  async dropAndResume(person: Person): Promise<boolean> {
    const client = person.client;
    person.client = undefined;
    person.state = 'away';
    this.ledger.forget(person);
    await sleep(quietBeforeGoingMs);
    await client?.terminate();
    await sleep(between(0.1, 0.5) * graceMs);
    if (!(await this.join(person, person.resumeToken))) return false;
    // A resumed client asks the others for what it missed.
    this.ask(person);
    return true;
  }

  /** A lost connection that stays away past the grace period: the others get rm when it ends. */
  async dropForGood(person: Person): Promise<string> {
    const client = this.#gone(person);
    this.ledger.expect(`rm:${person.id}`, person.room.present(), quietBeforeGoingMs + graceMs + deliveryMs);
    await sleep(quietBeforeGoingMs);
    await client?.terminate();
    await sleep(graceMs + 1000);
    return person.resumeToken;
  }

  /** Takes the person out of everyone's view; returns its socket, still open. */
  #gone(person: Person): TestClient | undefined {
    const client = person.client;
    person.client = undefined;
    person.state = 'gone';
    person.room.members.delete(person.id);
    this.ledger.forget(person);
    return client;
  }

  /** Samples memory every tick and checks deadlines; prints a line once a minute. */
  tick(startedAt: number): void {
    const now = Date.now();
    this.ledger.sweep(now);
    if (!isRunning(this.relay)) return; // checkRelayAfterwards tells how it ended
    const sample = { atMs: now - startedAt, rssKiB: rssKiB(this.relay.process.pid!) };
    const previous = this.samples.at(-1)?.atMs ?? 0;
    this.samples.push(sample);
    if (Math.floor(sample.atMs / reportEveryMs) > Math.floor(previous / reportEveryMs)) this.report(sample);
  }

  report({ atMs, rssKiB }: MemorySample): void {
    const minutes = Math.round(atMs / 60_000);
    const rss = `${(rssKiB / 1024).toFixed(1)} MiB`;
    const connections = `${this.openSockets} open, ${relaySockets(this.relay)} relay sockets`;
    const { delivered, errors } = this.ledger;
    this.options.log(
      `${String(minutes).padStart(3)} min  RSS ${rss}  connections ${connections}  delivered ${delivered}  errors ${errors}`,
    );
  }
}

function isRunning(relay: RunningRelay): boolean {
  return relay.process.exitCode === null && relay.process.signalCode === null;
}

/** Open sockets of the relay process, as the kernel sees them: its listening socket and every connection. */
function relaySockets(relay: RunningRelay): number {
  const fdDir = `/proc/${relay.process.pid}/fd`;
  return readdirSync(fdDir).filter((fd) => {
    try {
      return readlinkSync(`${fdDir}/${fd}`).startsWith('socket:');
    } catch {
      return false; // closed between the listing and the look
    }
  }).length;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const relay = await startRelay({
    RESUME_GRACE_MS: String(graceMs),
    // Every simulated person comes from 127.0.0.1.
    MAX_CONNECTIONS_PER_ADDRESS: String(options.rooms * options.peoplePerRoom * 2),
  });
  const soak = new Soak(relay, options);
  const idleSockets = relaySockets(relay);
  const startedAt = Date.now();
  const until = startedAt + options.durationMs;
  const ticker = setInterval(() => soak.tick(startedAt), tickMs);
  try {
    const rooms = Array.from({ length: options.rooms }, (_, i) => new Room(`soak-${i}`));
    const places = rooms.flatMap((room) => Array.from({ length: options.peoplePerRoom }, () => room));
    // Arrivals spread over the first few seconds, as people do.
    await Promise.all(places.map((room) => sleep(between(0, 5000)).then(() => soak.occupy(room, until))));
    await settle(soak.ledger);
  } finally {
    clearInterval(ticker);
    await checkRelayAfterwards(relay, soak.ledger, idleSockets);
  }
  const memory = judgeGrowth(
    soak.samples.filter((sample) => sample.atMs <= options.durationMs),
    defaultGrowthRule,
  );
  const { delivered, errors, firstErrors } = soak.ledger;
  return { passed: !memory.growing && errors === 0, memory, delivered, errors, firstErrors };
}

/** Waits until every frame still owed has arrived or is past its deadline. */
async function settle(ledger: Ledger<Person>): Promise<void> {
  const deadline = Date.now() + graceMs + deliveryMs + quietBeforeGoingMs;
  while (ledger.sweep() > 0 && Date.now() < deadline) await sleep(200);
  ledger.sweep(Infinity);
}

/** With everyone gone the relay holds no connection, stops cleanly, and logged nothing but its start. */
async function checkRelayAfterwards(relay: RunningRelay, ledger: Ledger<Person>, idleSockets: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (isRunning(relay) && relaySockets(relay) > idleSockets && Date.now() < deadline) await sleep(100);
  const left = isRunning(relay) ? relaySockets(relay) - idleSockets : 0;
  if (left > 0) ledger.error(`the relay still holds ${left} sockets after everyone left`);
  const code = await relay.stop();
  if (code !== 0) ledger.error(`the relay exited with ${code}`);
  const logged = relay
    .output()
    .split('\n')
    .filter((line) => line && !line.includes('listening on'));
  if (logged.length > 0) ledger.error(`the relay logged: ${logged.slice(0, 3).join(' | ')}`);
}

export function describeResult(result: SoakResult, options: SoakOptions): string {
  const { memory } = result;
  const mib = (kiB: number): string => `${(kiB / 1024).toFixed(1)} MiB`;
  const lines = [
    `soak ${result.passed ? 'passed' : 'FAILED'} after ${options.durationMs / 60_000} min: ` +
      `${result.errors} errors, ${result.delivered} messages delivered`,
    `memory ${memory.growing ? 'keeps growing' : 'steady'}: ` +
      `${memory.kiBPerMinute.toFixed(0)} KiB/min over the steady phase (limit ${defaultGrowthRule.maxKiBPerMinute}), ` +
      `median ${mib(memory.middleKiB)} in its middle third, ${mib(memory.lastKiB)} in its last ` +
      `(noise allowance ${mib(defaultGrowthRule.noiseKiB)})`,
    ...result.firstErrors.map((error) => `  error: ${error}`),
  ];
  return lines.join('\n');
}

/** `npm run soak`: SOAK_MINUTES (default 10) of the default load; exits non-zero on failure. */
export async function main(): Promise<void> {
  const minutes = Number(process.env.SOAK_MINUTES ?? 10);
  if (!(minutes > 0)) throw new Error(`SOAK_MINUTES must be a positive number of minutes, not ${minutes}`);
  const options = { ...defaultSoakOptions, durationMs: minutes * 60_000 };
  options.log(
    `soak: ${options.rooms} rooms of ${options.peoplePerRoom} people for ${minutes} min, resume grace ${graceMs} ms`,
  );
  const result = await runSoak(options);
  options.log(describeResult(result, options));
  process.exitCode = result.passed ? 0 : 1;
}
