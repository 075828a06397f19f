// `npm run bench`: builds the relay, makes sure redis-server is there, then
// runs tests/bench/run.ts (TypeScript, loaded through Vite's module runner).
// `generator` runs the load generator instead, in the process the harness started for it.
import { execFileSync } from 'node:child_process';
import { runnerImport } from 'vite';
import { ensureHostTools } from './host-tools.mjs';

const options = { configFile: /** @type {false} */ (false), logLevel: /** @type {'error'} */ ('error') };
if (process.argv[2] === 'generator') {
  /** @type {{ module: { serveGenerator(): void } }} */
  const { module } = await runnerImport('./tests/bench/generator.ts', options);
  module.serveGenerator();
} else {
  ensureHostTools();
  execFileSync('npm', ['run', '--silent', 'build'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  /** @type {{ module: { main(): Promise<void> } }} */
  const { module } = await runnerImport('./tests/bench/run.ts', options);
  try {
    await module.main();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
  // Done: whatever a failed round left behind (the children are killed on exit) must not keep us waiting.
  process.exit();
}
