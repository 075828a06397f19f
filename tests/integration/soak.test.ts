// One minute of `npm run soak`: the same churn against the real relay process.
import { expect, it } from 'vitest';
import { defaultSoakOptions, describeResult, runSoak } from '../soak/soak.ts';

it('keeps the relay correct, and its memory steady, through a minute of churn in many rooms', async () => {
  const options = { ...defaultSoakOptions, durationMs: 60_000, log: () => {} };
  const result = await runSoak(options);
  expect(result.passed, describeResult(result, options)).toBe(true);
  expect(result.delivered).toBeGreaterThan(10_000);
}, 120_000);
