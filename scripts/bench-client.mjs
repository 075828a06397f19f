// `npm run bench:client`: builds the production client and relay, then runs
// tests/bench/client.ts (TypeScript, loaded through Vite's module runner).
// `peers <port> <secret> <first> <count> <sealed|unsealed>` runs some of the simulated peers, in a process of
// their own; `file-receiver <port> <secret>` one receiver of the file transfer benchmark; `files` runs only the
// file transfer benchmark. The baseline client, which does not seal payloads, is built into dist/client-unsealed.
import { execFileSync } from 'node:child_process';
import { runnerImport } from 'vite';

const [mode, port, secret, first, count, sealing] = process.argv.slice(2);
if (mode !== 'peers' && mode !== 'file-receiver') {
  const production = { ...process.env, NODE_ENV: 'production' };
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'], env: production });
  execFileSync('npx', ['vite', 'build', '--outDir', '../dist/client-unsealed', '--emptyOutDir'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...production, VITE_UNSEALED_BENCHMARK: 'true' },
  });
}
/** @type {{ module: { main(only?: string): Promise<void>, runPeers(port: number, secret: string, first: number, count: number, unsealed: boolean): Promise<void>, runFileReceiver(port: number, secret: string): Promise<void> } }} */
const { module } = await runnerImport('./tests/bench/client.ts', { configFile: false, logLevel: 'error' });
if (mode === 'peers') {
  await module.runPeers(Number(port), String(secret), Number(first), Number(count), sealing === 'unsealed');
} else if (mode === 'file-receiver') await module.runFileReceiver(Number(port), String(secret));
else await module.main(mode);
