// What can be checked of the deployment without a container engine: the
// fly.io config, and the production image's steps run on this host.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { defaults, readConfig, shutdownDeadlineMs } from '../../relay/config.ts';
import { relayNode } from '../../scripts/runtime.mjs';
import { freePort } from '../support/redis.ts';

describe('fly.toml', () => {
  const fly = parse(readFileSync('fly.toml', 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- TOML is untyped; each key is checked below

  it('builds from the Dockerfile and serves the port the relay listens on', () => {
    expect(fly.app).toEqual(expect.any(String));
    expect(fly.build.dockerfile).toBe('Dockerfile');
    expect(fly.http_service.internal_port).toBe(defaults.port);
    expect(Number(fly.env.PORT)).toBe(defaults.port);
    expect(fly.http_service.force_https).toBe(true);
  });

  it('never stops machines that hold live sockets, routes by /readyz and checks /healthz', () => {
    expect(['off', false]).toContain(fly.http_service.auto_stop_machines);
    expect(fly.http_service.min_machines_running).toBeGreaterThanOrEqual(1);
    expect(fly.http_service.checks).toContainEqual(expect.objectContaining({ method: 'GET', path: '/readyz' }));
    expect(fly.checks.alive).toMatchObject({ type: 'http', port: defaults.port, path: '/healthz' });
  });

  it('lets a machine drain: readiness fails before the sockets close, and the kill waits for both', () => {
    const config = readConfig(fly.env);
    expect(fly.kill_signal).toBe('SIGTERM');
    const readiness = fly.http_service.checks.find((check: { path: string }) => check.path === '/readyz');
    expect(seconds(readiness.interval) * 1000).toBeLessThanOrEqual(config.drainDelayMs);
    expect(seconds(fly.kill_timeout) * 1000).toBeGreaterThan(config.drainDelayMs + shutdownDeadlineMs);
  });

  it('serves metrics on the private network only, where the [metrics] section points', () => {
    const config = readConfig(fly.env);
    expect(fly.metrics).toEqual({ port: config.metricsPort, path: '/metrics' });
    expect(config.metricsPort).not.toBe(fly.http_service.internal_port);
    expect(config.metricsHost).toBe('fly-local-6pn');
  });

  it('limits connections as the relay does and trusts the proxy for client addresses', () => {
    const { concurrency } = fly.http_service;
    expect(concurrency.type).toBe('connections');
    expect(concurrency.hard_limit).toBe(Number(fly.env.MAX_CONNECTIONS));
    expect(concurrency.soft_limit).toBeLessThanOrEqual(concurrency.hard_limit);
    expect(fly.env.TRUST_PROXY).toBe('fly');
  });
});

describe('the production image, run on this host', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const workdir = mkdtempSync(join(tmpdir(), 'onetimechat-production-'));
  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  it('uses a Debian 13 based Node image, a non-root user and production dependencies only', () => {
    expect(dockerfile).toMatch(/^FROM node:(22|24)-trixie-slim AS runtime$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it('serves /healthz, the page and a chat round trip with the image start command', async () => {
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) cpSync(file, join(workdir, file));
    execFileSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: workdir,
      stdio: 'ignore',
    });
    cpSync('dist', join(workdir, 'dist'), { recursive: true });

    const [command, ...args] = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(command).toBe('node');
    const port = await freePort();
    const relay = spawn(relayNode(), args, { cwd: workdir, env: { ...process.env, PORT: String(port) } });
    try {
      await waitForHealth(`http://127.0.0.1:${port}/healthz`);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await roundTrip(`ws://127.0.0.1:${port}/ws/production-smoke`)).toBe('hello from production');
    } finally {
      relay.kill('SIGTERM');
    }
  }, 120_000);
});

/** A fly duration such as "15s" in seconds. */
function seconds(duration: string): number {
  const match = /^(\d+)s$/.exec(duration);
  if (!match) throw new Error(`not a duration in seconds: ${duration}`);
  return Number(match[1]);
}

async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never answered`);
}

/** Sends one message and returns the payload of its echo. */
function roundTrip(url: string): Promise<string> {
  const socket = new WebSocket(url);
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as unknown[];
      if (frame[0] === 'init') socket.send(JSON.stringify(['send', 'hello from production']));
      if (frame[0] === 'add') {
        resolve(String(frame[2]));
        socket.close();
      }
    });
  });
}
