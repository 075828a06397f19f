// `npm run bench:call`: builds the production client and relay, then runs
// tests/bench/calls.ts (TypeScript, loaded through Vite's module runner).
import { execFileSync } from 'node:child_process';
import { runnerImport } from 'vite';

execFileSync('npm', ['run', '--silent', 'build'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, NODE_ENV: 'production' },
});
/** @type {{ module: { main(): Promise<void> } }} */
const { module } = await runnerImport('./tests/bench/calls.ts', { configFile: false, logLevel: 'error' });
await module.main();
