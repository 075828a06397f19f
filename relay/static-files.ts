// The built client, read into memory once at start: the relay never touches
// the disk again and serves every asset from RAM.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';

export interface StaticFile {
  body: Buffer;
  headers: [string, string][];
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A Host header that is a plain host name or address with an optional port, safe inside a header. */
const plainHost = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The page may talk only to its own origin; nothing from third parties, no
 * inline script. Its sockets go to the same host; browsers that predate CSP
 * level 3 do not count ws: and wss: as 'self', so they are named too.
 */
export function contentSecurityPolicy(host: string): string {
  const sockets = plainHost.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    `connect-src 'self'${sockets}`,
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers of every static response but the Content-Security-Policy, which names the host. */
const securityHeaders: [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Permissions-Policy', 'camera=(self), microphone=(self), display-capture=(self), geolocation=()'],
];

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** Vite puts content-hashed files under assets/; they never change. */
function cacheControl(urlPath: string): string {
  return urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/** Maps URL paths to files; `/` serves index.html. Empty if the directory is missing. */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let paths: string[];
  try {
    paths = [...walk(dir)];
  } catch {
    return files;
  }
  for (const path of paths) {
    const urlPath = '/' + relative(dir, path).split('\\').join('/');
    const file: StaticFile = {
      body: readFileSync(path),
      headers: [
        ['Content-Type', contentTypes[extname(path)] ?? 'application/octet-stream'],
        ['Cache-Control', cacheControl(urlPath)],
        ...securityHeaders,
      ],
    };
    files.set(urlPath, file);
    if (urlPath === '/index.html') files.set('/', file);
  }
  return files;
}
