// A loopback HTTP server that answers the Hugging Face Hub endpoints @huggingface/hub calls for a download:
// /api/models/<repo>/revision/<rev> (the commit), /api/models/<repo>/tree/<commit> (the file list with ids),
// /<repo>/resolve/<commit>/<file> redirecting to a CDN URL that serves bytes with Range and an ETag.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface MockRepo {
  files: Record<string, Buffer>;
  /** Files served as LFS objects (sha256 ids); the rest get git blob sha1 ids. */
  lfs: Set<string>;
  /** A file whose listed sha256 is wrong (the download must refuse it). */
  badOid?: string;
  /** Serve this file in 64 KiB chunks, 20 ms apart (time to cancel). */
  slow?: string;
}

export interface MockHub {
  endpoint: string;
  repos: Record<string, MockRepo>;
  /** Range headers of content requests (not the library's 0-0 size probe). */
  ranges: string[];
  /** The next content request for this file sends 1 MiB and drops the connection. */
  dropNext: string | null;
  commitOf(repo: string): string;
  close(): Promise<void>;
}

export const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A model folder as repo files; *.safetensors become LFS objects, like on the Hub. */
export function repoFromFolder(dir: string): MockRepo {
  const files: Record<string, Buffer> = {};
  for (const name of readdirSync(dir)) if (statSync(path.join(dir, name)).isFile()) files[name] = readFileSync(path.join(dir, name));
  return { files, lfs: new Set(Object.keys(files).filter((f) => f.endsWith('.safetensors'))) };
}

export async function startMockHub(repos: Record<string, MockRepo>): Promise<MockHub> {
  const hub: MockHub = {
    endpoint: '',
    repos,
    ranges: [],
    dropNext: null,
    commitOf: (repo) => createHash('sha1').update(`commit of ${repo}`).digest('hex'),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
    if (api) {
      const [, name, kind, rev] = api;
      const repo = repos[name];
      if (!repo) return json(res, 404, { error: 'Repository not found' });
      if (kind === 'revision') return json(res, 200, { _id: name, id: name, sha: hub.commitOf(name), private: false, downloads: 0, likes: 0, lastModified: '2026-01-01T00:00:00Z' });
      if (rev !== hub.commitOf(name)) return json(res, 404, { error: `Invalid rev id: ${rev}` });
      const list = Object.entries(repo.files).map(([p, b]) => ({
        type: 'file',
        path: p,
        size: b.length,
        oid: gitSha1(b),
        ...(repo.lfs.has(p) ? { lfs: { oid: repo.badOid === p ? sha256(Buffer.from('other')) : sha256(b), size: b.length, pointerSize: 134 } } : {}),
      }));
      return json(res, 200, [{ type: 'directory', path: 'sub', size: 0, oid: '0'.repeat(40) }, ...list]);
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      res.writeHead(302, { Location: `/cdn/${resolve[1]}/${resolve[3]}` }); // like the Hub: LFS files live on a CDN
      return void res.end();
    }
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    const repo = cdn ? repos[cdn[1]] : undefined;
    const file = cdn ? decodeURIComponent(cdn[2]) : '';
    const body = repo?.files[file];
    if (!repo || !body) return void res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end();
    const etag = `"${repo.lfs.has(file) ? sha256(body) : gitSha1(body)}"`;
    const range = req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) + 1 : body.length;
    if (range && req.headers.range !== 'bytes=0-0') hub.ranges.push(req.headers.range!);
    if (range) res.writeHead(206, { ETag: etag, 'Content-Range': `bytes ${start}-${end - 1}/${body.length}`, 'Content-Length': end - start });
    else res.writeHead(200, { ETag: etag, 'Content-Length': body.length });
    const rest = body.subarray(start, end);
    if (hub.dropNext === file && end - start > 1) {
      hub.dropNext = null;
      res.write(rest.subarray(0, 1024 * 1024), () => res.destroy());
      return;
    }
    if (repo.slow === file && end - start > 1) {
      let off = 0;
      const tick = () => {
        if (res.destroyed || off >= rest.length) return void res.end();
        res.write(rest.subarray(off, off + 64 * 1024));
        off += 64 * 1024;
        setTimeout(tick, 20);
      };
      return tick();
    }
    res.end(rest);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hub.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}
