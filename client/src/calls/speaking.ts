// Who is speaking: one AudioContext, an analyser per microphone track
// (ours and each remote one), read a few times a second. Cheap enough for a
// full mesh; the levels never leave the browser.

/** How often levels are read, and the RMS level that counts as speech (the fake device's tone is far above). */
const readEveryMs = 200;
const speechLevel = 0.02;

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

  /** `report` gets the ids speaking now (not 'self') and whether we are. */
  constructor(report: (speaking: ReadonlySet<string>, self: boolean) => void) {
    this.#report = report;
    this.#timer = setInterval(() => this.#read(), readEveryMs);
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
    clearInterval(this.#timer);
    void this.#context.close();
  }

  #read(): void {
    if (this.#context.state === 'suspended') void this.#context.resume();
    const speaking = new Set<string>();
    let self = false;
    for (const [id, { analyser }] of this.#watched) {
      analyser.getFloatTimeDomainData(this.#buffer);
      let sum = 0;
      for (const sample of this.#buffer) sum += sample * sample;
      if (Math.sqrt(sum / this.#buffer.length) < speechLevel) continue;
      if (id === 'self') self = true;
      else speaking.add(id);
    }
    this.#report(speaking, self);
  }
}
