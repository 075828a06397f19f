// A relay gone bad, for tests: a loopback proxy in front of the real relay
// that serves its pages and carries every WebSocket frame both ways, keeps a
// copy of what the relay sent each connection, and on command sends a client
// frames the relay never sent (re-stamped, replayed, copied from another room,
// or forged outright).
import { createServer, request, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

export interface ProxiedConnection {
  /** The socket path, `/ws/<room>`, without the query. */
  path: string;
  /** The peer id the relay gave this connection, once its `init` went through. */
  selfId: string | undefined;
  /** Every frame the relay sent this connection, as text, oldest first. */
  readonly fromRelay: string[];
  /** Sends the client a frame as if the relay had. */
  inject(frame: string): void;
}

export interface MitmProxy {
  port: number;
  httpUrl: string;
  readonly connections: ProxiedConnection[];
  /** The open connection whose relay id is `selfId`. */
  connectionOf(selfId: string): ProxiedConnection;
  close(): Promise<void>;
}

export async function startMitmProxy(relayPort: number): Promise<MitmProxy> {
  const connections: ProxiedConnection[] = [];
  const server: Server = createServer((req, res) => {
    const upstream = request(
      { host: '127.0.0.1', port: relayPort, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    sockets.handleUpgrade(req, socket, head, (client) => {
      // No Origin upstream: the proxy is not a browser, and the relay checked nothing else.
      const relay = new WebSocket(`ws://127.0.0.1:${relayPort}${req.url ?? '/'}`);
      const pendingToRelay: string[] = [];
      const connection: ProxiedConnection = {
        path: (req.url ?? '').split('?')[0]!,
        selfId: undefined,
        fromRelay: [],
        inject: (frame) => client.send(frame),
      };
      connections.push(connection);
      relay.on('open', () => pendingToRelay.splice(0).forEach((text) => relay.send(text)));
      relay.on('message', (data) => {
        const text = String(data);
        connection.fromRelay.push(text);
        if (text.startsWith('["init"')) connection.selfId = (JSON.parse(text) as [string, string])[1];
        client.send(text);
      });
      client.on('message', (data) => {
        if (relay.readyState === WebSocket.OPEN) relay.send(String(data));
        else pendingToRelay.push(String(data));
      });
      // A close on either side is passed on with its code, so the relay still tells a leave from a drop.
      client.on('close', (code) => relay.close(code === 1005 || code === 1006 ? 1000 : code));
      relay.on('close', (code) => client.close(code === 1005 || code === 1006 ? 1000 : code));
      relay.on('error', () => client.terminate());
      client.on('error', () => relay.terminate());
    });
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    connections,
    connectionOf(selfId) {
      const found = connections.filter((connection) => connection.selfId === selfId).at(-1);
      if (!found) throw new Error(`no proxied connection has the id ${selfId}`);
      return found;
    },
    close: () =>
      new Promise((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
