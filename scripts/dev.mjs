// `npm run dev`: the relay rebuilt and restarted on change, and Vite serving
// the client with hot reload, forwarding /ws to the relay.
import { spawn } from 'node:child_process';
import { relayNode } from './runtime.mjs';

const relayPort = process.env.RELAY_DEV_PORT ?? '8081';
const children = [
  spawn('npx', ['tsc', '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], { stdio: 'inherit' }),
  spawn(relayNode(), ['--watch', 'dist/server/relay/main.js'], {
    stdio: 'inherit',
    env: { ...process.env, HOST: '127.0.0.1', PORT: relayPort },
  }),
  spawn('npx', ['vite'], { stdio: 'inherit', env: { ...process.env, RELAY_DEV_PORT: relayPort } }),
];
const stopAll = () => children.forEach((child) => child.kill('SIGTERM'));
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
