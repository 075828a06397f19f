// `npm run bench:client`: builds the production client and relay, then runs
// tests/bench/client.ts (TypeScript, loaded through Vite's module runner).
// `peers <port> <secret> <first> <count>` runs some of the simulated peers, in a process of their own;
// `file-receiver <port> <secret>` one receiver of the file transfer benchmark.
// `files` runs only the file transfer benchmark.
import { execFileSync } from 'node:child_process';
import { runnerImport } from 'vite';

const [mode, port, secret, first, count] = process.argv.slice(2);
if (mode !== 'peers' && mode !== 'file-receiver') {
  execFileSync('npm', ['run', '--silent', 'build'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
/** @type {{ module: { main(only?: string): Promise<void>, runPeers(port: number, secret: string, first: number, count: number): Promise<void>, runFileReceiver(port: number, secret: string): Promise<void> } }} */
const { module } = await runnerImport('./tests/bench/client.ts', { configFile: false, logLevel: 'error' });
if (mode === 'peers') await module.runPeers(Number(port), String(secret), Number(first), Number(count));
else if (mode === 'file-receiver') await module.runFileReceiver(Number(port), String(secret));
else await module.main(mode);
