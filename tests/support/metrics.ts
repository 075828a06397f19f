// Reading a relay's Prometheus endpoint in tests.
import type { RunningRelay } from './relay.ts';

/** The metrics address the relay named in its start line. */
export function metricsUrl(relay: RunningRelay): string {
  const match = /metrics on (http:\/\/\S+\/metrics)/.exec(relay.output());
  if (!match) throw new Error(`the relay named no metrics address:\n${relay.output()}`);
  return match[1]!;
}

export interface Scrape {
  text: string;
  /** The value of a sample, e.g. `onetimechat_closes_total{code="1000"}`; 0 when absent. */
  value(sample: string): number;
}

export async function scrape(relay: RunningRelay): Promise<Scrape> {
  const response = await fetch(metricsUrl(relay));
  if (response.status !== 200) throw new Error(`metrics answered ${response.status}`);
  const text = await response.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return { text, value: (sample) => samples.get(sample) ?? 0 };
}
