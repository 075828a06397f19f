// Who is speaking, read a few times a second: the others' levels from the
// energy of the audio received since the last reading, ours from an analyser
// on our microphone (which keeps working while muted, for the warning). The
// levels never leave the browser.

/** How often levels are read, and the level (RMS) that counts as speech. */
const readEveryMs = 200;
const speechLevel = 0.02;

type RemoteLevels = () => Promise<readonly (readonly [string, number])[]>;

interface Watched {
  track: MediaStreamTrack;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
}

export class SpeakingMeter {
  readonly #context = new AudioContext();
  readonly #watched = new Map<string, Watched>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #buffer = new Float32Array(512);
  readonly #report: (speaking: ReadonlySet<string>, self: boolean) => void;
  readonly #remoteLevels: RemoteLevels;
  #reading = false;
  #closed = false;

  /** `report` gets the ids of the others speaking now and whether we are. */
  constructor(remoteLevels: RemoteLevels, report: (speaking: ReadonlySet<string>, self: boolean) => void) {
    this.#remoteLevels = remoteLevels;
    this.#report = report;
    this.#timer = setInterval(() => void this.#read(), readEveryMs);
  }

  watch(id: string, track: MediaStreamTrack): void {
    if (this.#watched.get(id)?.track === track) return;
    this.unwatch(id);
    const source = this.#context.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.#context.createAnalyser();
    analyser.fftSize = this.#buffer.length;
    source.connect(analyser);
    this.#watched.set(id, { track, source, analyser });
  }

  unwatch(id: string): void {
    this.#watched.get(id)?.source.disconnect();
    this.#watched.delete(id);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    void this.#context.close();
  }

  async #read(): Promise<void> {
    if (this.#reading) return; // a slow statistics read must not pile up behind the timer
    this.#reading = true;
    try {
      if (this.#context.state === 'suspended') void this.#context.resume();
      const speaking = new Set<string>();
      for (const [peer, level] of await this.#remoteLevels()) if (level >= speechLevel) speaking.add(peer);
      let self = false;
      for (const { analyser } of this.#watched.values()) {
        analyser.getFloatTimeDomainData(this.#buffer);
        let sum = 0;
        for (const sample of this.#buffer) sum += sample * sample;
        if (Math.sqrt(sum / this.#buffer.length) >= speechLevel) self = true;
      }
      if (!this.#closed) this.#report(speaking, self);
    } finally {
      this.#reading = false;
    }
  }
}
