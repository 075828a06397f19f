// What the relay owes each simulated person, and what it has delivered. An
// expectation is a frame (named by a key such as `add:<message>` or `rm:<id>`)
// that certain people must receive within a deadline; whoever has not got it
// by then, and is still connected, is an error.

interface Expectation<Person> {
  waiting: Set<Person>;
  deadline: number;
}

/** How many error messages are kept to be shown; all of them are counted. */
const shownErrors = 10;
/** Long past any deadline: an early frame no expectation claimed by then never will be. */
const earlyKeptMs = 60_000;

export class Ledger<Person> {
  delivered = 0;
  errors = 0;
  readonly firstErrors: string[] = [];
  readonly #expected = new Map<string, Expectation<Person>>();
  /**
   * Frames that arrived before their expectation was written: the others'
   * fetch for a newcomer may come before the newcomer's own init.
   */
  readonly #early = new Map<string, { from: Set<Person>; at: number }>();

  expect(key: string, recipients: Iterable<Person>, withinMs: number): void {
    const waiting = new Set(recipients);
    for (const person of this.#early.get(key)?.from ?? []) waiting.delete(person);
    this.#early.delete(key);
    if (waiting.size > 0) this.#expected.set(key, { waiting, deadline: Date.now() + withinMs });
  }

  received(key: string, person: Person): void {
    const expectation = this.#expected.get(key);
    if (expectation?.waiting.delete(person)) {
      if (expectation.waiting.size === 0) this.#expected.delete(key);
      return;
    }
    const early = this.#early.get(key) ?? { from: new Set<Person>(), at: Date.now() };
    early.from.add(person);
    this.#early.set(key, early);
  }

  /** The person's connection is gone by the soak's own doing: it owes nothing more. */
  forget(person: Person): void {
    for (const [key, expectation] of this.#expected) {
      expectation.waiting.delete(person);
      if (expectation.waiting.size === 0) this.#expected.delete(key);
    }
  }

  error(message: string): void {
    this.errors++;
    if (this.firstErrors.length < shownErrors) this.firstErrors.push(message);
  }

  /** Counts the expectations past their deadline as errors; returns how many are still open. */
  sweep(now = Date.now()): number {
    for (const [key, expectation] of this.#expected) {
      if (expectation.deadline > now) continue;
      this.#expected.delete(key);
      this.error(`${key} did not reach ${expectation.waiting.size} of its recipients in time`);
    }
    for (const [key, early] of this.#early) if (now - early.at > earlyKeptMs) this.#early.delete(key);
    return this.#expected.size;
  }
}
