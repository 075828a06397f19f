import { execFileSync } from 'node:child_process';
import { relayNode } from '../../scripts/runtime.mjs';
import { ensureHostTools } from '../../scripts/host-tools.mjs';

// Every run tests the code as it is now: build client and relay once, and make
// sure the runtime and the programs the tests need are on the host.
export default function setup(): void {
  // The test runner sets NODE_ENV=test, which would give a development build of the client.
  execFileSync('npm', ['run', '--silent', 'build'], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  relayNode();
  ensureHostTools();
}
