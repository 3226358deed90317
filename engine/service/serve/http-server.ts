// Serve mode: the renderer and the contract over plain HTTP + WebSocket on loopback. A random token guards every
// request: the URL printed at start carries it once (?token=...), the server answers with an HttpOnly cookie so the
// page's own requests (scripts, media, the WebSocket) carry it after that. Host and Origin are checked so another
// web page cannot reach the server through the user's browser (DNS rebinding, cross-site WebSocket).
import http from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppService } from '../service.ts';
import { contentSecurityPolicy } from '../csp.ts';
import { mimeOf } from '../media.ts';
import { handleSocketMessage } from './ws-protocol.ts';

export interface ServeOptions {
  service: AppService;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  host: string;
  port: number;
  token: string;
}

export interface ServeHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

export async function startServeServer(opts: ServeOptions): Promise<ServeHandle> {
  let port = opts.port;
  const cookieName = () => `sv_token_${port}`;
  const tokenBuf = Buffer.from(opts.token);
  const tokenOk = (t: string | null | undefined) => {
    if (!t) return false;
    const b = Buffer.from(t);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const requestToken = (req: http.IncomingMessage, url: URL): string | null => {
    const q = url.searchParams.get('token');
    if (q) return q;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice(7);
    const cookie = req.headers.cookie ?? '';
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === cookieName()) return decodeURIComponent(v.join('='));
    }
    return null;
  };
  const loopbackHost = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(opts.host);
  const hostOk = (req: http.IncomingMessage) => {
    if (!loopbackHost) return true;
    const h = (req.headers.host ?? '').toLowerCase();
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h);
  };
  const originOk = (req: http.IncomingMessage) => {
    const o = req.headers.origin;
    if (!o) return true; // non-browser clients
    try {
      return new URL(o).host === req.headers.host;
    } catch {
      return false;
    }
  };

  const securityHeaders = (req: http.IncomingMessage): Record<string, string> => ({
    'Content-Security-Policy': contentSecurityPolicy([`ws://${req.headers.host ?? `127.0.0.1:${port}`}`]),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });

  const server = http.createServer((req, res) => {
    void handleHttp(req, res).catch((err: Error) => {
      console.error(`[serve] ${req.method} ${req.url}: ${err.message}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error');
    });
  });

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://serve.invalid');
    if (!hostOk(req)) return plain(res, 421, 'wrong Host header');
    const token = requestToken(req, url);
    if (!tokenOk(token)) {
      return plain(res, 401, 'Missing or wrong token. Open the URL printed by `sparsevila serve` (it carries ?token=...).');
    }
    const headers = securityHeaders(req);
    if (url.searchParams.has('token')) {
      headers['Set-Cookie'] = `${cookieName()}=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`;
    }
    if (url.pathname.startsWith('/media/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
      const m = await opts.service.media(url.pathname, req.headers.range);
      res.writeHead(m.status, { ...headers, ...m.headers });
      if (req.method === 'HEAD' || !m.body) {
        m.body?.destroy();
        res.end();
        return;
      }
      m.body.pipe(res);
      res.on('close', () => m.body?.destroy());
      return;
    }
    if (url.pathname.startsWith('/api/call/')) return handleHttpCall(req, res, url.pathname.slice('/api/call/'.length), headers);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
    await serveStatic(url.pathname, req, res, headers);
  }

  async function handleHttpCall(req: http.IncomingMessage, res: http.ServerResponse, name: string, headers: Record<string, string>): Promise<void> {
    if (req.method !== 'POST') return plain(res, 405, 'use POST with a JSON body');
    if (!originOk(req)) return plain(res, 403, 'cross-origin request refused');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 1 << 20) return plain(res, 413, 'request body over 1 MiB');
      chunks.push(c as Buffer);
    }
    let payload: unknown;
    try {
      payload = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return json(res, 400, { ok: false, error: { code: 'invalid_request', message: 'body is not valid JSON' } }, headers);
    }
    let callName: string;
    try {
      callName = decodeURIComponent(name);
    } catch {
      const message = `call name ${JSON.stringify(name.slice(0, 100))} is not valid URL encoding`;
      return json(res, 400, { ok: false, error: { code: 'invalid_request', message } }, headers);
    }
    const result = await opts.service.call(callName, payload);
    json(res, result.ok ? 200 : result.error.code === 'unknown_call' || result.error.code === 'not_found' ? 404 : result.error.code === 'internal' ? 500 : 400, result, headers);
  }

  async function serveStatic(pathname: string, req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>): Promise<void> {
    const root = path.resolve(opts.staticDir);
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return plain(res, 400, 'bad path');
    }
    if (rel.includes('\0')) return plain(res, 400, 'bad path');
    let file = path.resolve(root, '.' + (rel === '/' ? '/index.html' : rel));
    if (file !== root && !file.startsWith(root + path.sep)) return plain(res, 404, 'not found');
    let st = await fs.stat(file).catch(() => null);
    if (!st?.isFile() && !path.extname(file)) {
      file = path.join(root, 'index.html'); // client-side routes
      st = await fs.stat(file).catch(() => null);
    }
    if (!st?.isFile()) {
      if (rel === '/' || rel === '/index.html') {
        return plain(res, 503, `The renderer is not built (${path.join(root, 'index.html')} is missing). Run \`npm run build:renderer\`.`);
      }
      return plain(res, 404, 'not found');
    }
    const type = STATIC_TYPES[path.extname(file)] ?? mimeOf(file);
    res.writeHead(200, {
      ...headers,
      'Content-Type': type,
      'Content-Length': String(st.size),
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://serve.invalid');
    const refuse = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/api') return refuse(404, 'Not Found');
    if (!hostOk(req)) return refuse(421, 'Misdirected Request');
    if (!originOk(req)) return refuse(403, 'Forbidden');
    if (!tokenOk(requestToken(req, url))) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => ws.terminate());
      ws.on('message', (data, isBinary) => void handleSocketMessage(opts.service, ws, data, isBinary));
    });
  });

  const unsubscribe = opts.service.on((name, payload) => {
    const text = JSON.stringify({ event: name, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  return {
    url: `http://${shownHost}:${port}/?token=${opts.token}`,
    port,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
