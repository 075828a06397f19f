// `npm run soak`: builds the relay, then runs tests/soak/soak.ts (TypeScript,
// loaded through Vite's module runner) for SOAK_MINUTES minutes (default 10).
import { execFileSync } from 'node:child_process';
import { runnerImport } from 'vite';

execFileSync('npm', ['run', '--silent', 'build'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, NODE_ENV: 'production' },
});
/** @type {{ module: { main(): Promise<void> } }} */
const { module } = await runnerImport('./tests/soak/soak.ts', { configFile: false, logLevel: 'error' });
await module.main();
