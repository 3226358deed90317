// sv://app/ serves the built renderer and /media/... (videos with Range, thumbnails) to the window. A privileged
// standard scheme gives the page a real origin, so its CSP can say 'self' and nothing else.
import { protocol } from 'electron';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { contentSecurityPolicy } from '../engine/service/csp.ts';
import { mimeOf } from '../engine/service/media.ts';
import type { AppService } from '../engine/service/service.ts';

export const APP_SCHEME = 'sv';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

export function handleAppScheme(service: AppService, rendererDir: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return new Response('not found', { status: 404 });
    const security = { 'Content-Security-Policy': contentSecurityPolicy(), 'X-Content-Type-Options': 'nosniff' };
    if (url.pathname.startsWith('/media/')) {
      const m = await service.media(url.pathname, request.headers.get('range'));
      const body = m.body ? (Readable.toWeb(m.body) as ReadableStream) : null;
      return new Response(body, { status: m.status, headers: { ...security, ...m.headers } });
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return new Response('bad path', { status: 400 });
    }
    const file = path.resolve(root, '.' + (rel === '/' ? '/index.html' : rel));
    if (!file.startsWith(root + path.sep)) return new Response('not found', { status: 404 });
    try {
      const data = await fs.readFile(file);
      return new Response(data, { status: 200, headers: { ...security, 'Content-Type': TYPES[path.extname(file)] ?? mimeOf(file) } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
