// Plain HTTP on the public port: the built client, /healthz (the process is
// alive) and /readyz (it takes new sockets). GET and HEAD answer alike, HEAD
// without the body; any other method gets 405.
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { contentSecurityPolicy, loadStaticFiles } from './static-files.ts';

type Headers = [string, string][];

const textHeaders: Headers = [
  ['Content-Type', 'text/plain; charset=utf-8'],
  ['Cache-Control', 'no-store'],
];

/** Writes a whole response; for HEAD, the same status and headers, and the body's length without it. */
function respond(res: HttpResponse, head: boolean, status: string, headers: Headers, body: string | Buffer): void {
  res.cork(() => {
    res.writeStatus(status);
    for (const [name, value] of headers) res.writeHeader(name, value);
    if (head) res.endWithoutBody(Buffer.byteLength(body));
    else res.end(body);
  });
}

/** `ready()` is false while the relay drains, or before it first reached Redis. */
export function serveHttp(app: TemplatedApp, clientDir: string, ready: () => boolean): void {
  const staticFiles = loadStaticFiles(clientDir);
  for (const method of ['get', 'head'] as const) {
    const head = method === 'head';
    app[method]('/healthz', (res) => respond(res, head, '200 OK', textHeaders, 'ok'));
    app[method]('/readyz', (res) =>
      ready()
        ? respond(res, head, '200 OK', textHeaders, 'ready')
        : respond(res, head, '503 Service Unavailable', textHeaders, 'not ready'),
    );
    app[method]('/*', (res, req) => {
      const file = staticFiles.get(req.getUrl());
      if (!file) return respond(res, head, '404 Not Found', textHeaders, 'not found');
      const headers: Headers = [
        ...file.headers,
        ['Content-Security-Policy', contentSecurityPolicy(req.getHeader('host'))],
      ];
      respond(res, head, '200 OK', headers, file.body);
    });
  }
  app.any('/*', (res) => {
    res.writeStatus('405 Method Not Allowed').writeHeader('Allow', 'GET, HEAD').end();
  });
}
