// `npm start`: build what is missing, then run the relay serving the client,
// under a Node.js that can load uWebSockets.js on this host.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relayNode } from './runtime.mjs';

const relayEntry = 'dist/server/relay/main.js';

if (!existsSync(relayEntry) || !existsSync('dist/client/index.html')) {
  console.log('onetimechat: building client and relay');
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}

const relay = spawn(relayNode(), [relayEntry], { stdio: 'inherit' });
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => relay.kill(signal));
}
relay.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
