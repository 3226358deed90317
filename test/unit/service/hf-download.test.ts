// The Hub downloader against a loopback server that speaks the Hub's API: file listing, redirects, Range resume after
// a dropped connection, sha256 / git-sha1 verification, cancel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { downloadHubRepo, listHubFiles, type DownloadProgress } from '../../../engine/service/models/hf-download.ts';

const weights = randomBytes(3 * 1024 * 1024 + 17);
const config = Buffer.from(JSON.stringify({ model_type: 'llava_onevision' }));
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Repo {
  files: Record<string, Buffer>;
  lfs: Set<string>;
  badOid?: string;
}
const repos: Record<string, Repo> = {
  'acme/tiny': { files: { 'config.json': config, 'model.safetensors': weights, 'README.md': Buffer.from('# hi') }, lfs: new Set(['model.safetensors']) },
  'acme/corrupt': { files: { 'config.json': config, 'model.safetensors': weights }, lfs: new Set(['model.safetensors']), badOid: 'model.safetensors' },
  'acme/slow': { files: { 'config.json': config, 'model.safetensors': weights }, lfs: new Set(['model.safetensors']) },
};

let server: http.Server;
let endpoint: string;
const rangeHeaders: string[] = [];
let dropNext = false;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main$/.exec(url.pathname);
    if (tree) {
      const repo = repos[tree[1]];
      if (!repo) return void res.writeHead(404).end('{"error":"Repository not found"}');
      const list = Object.entries(repo.files).map(([p, b]) => {
        const lfs = repo.lfs.has(p);
        return {
          type: 'file',
          path: p,
          size: b.length,
          oid: gitSha1(b),
          ...(lfs ? { lfs: { oid: repo.badOid === p ? sha256(Buffer.from('other')) : sha256(b), size: b.length } } : {}),
        };
      });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(JSON.stringify([{ type: 'directory', path: 'sub' }, ...list]));
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    if (resolve) {
      // Like the Hub: LFS files redirect to a CDN URL.
      res.writeHead(302, { Location: `/cdn/${resolve[1]}/${resolve[2]}` });
      return void res.end();
    }
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    const repo = cdn ? repos[cdn[1]] : undefined;
    const body = cdn && repo ? repo.files[decodeURIComponent(cdn[2])] : undefined;
    if (!cdn || !body) return void res.writeHead(404).end();
    let start = 0;
    if (req.headers.range) {
      rangeHeaders.push(req.headers.range);
      start = Number(/bytes=(\d+)-/.exec(req.headers.range)![1]);
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Content-Length': body.length - start });
    } else {
      res.writeHead(200, { 'Content-Length': body.length });
    }
    const rest = body.subarray(start);
    if (dropNext && body === weights) {
      dropNext = false;
      res.write(rest.subarray(0, 1024 * 1024), () => res.destroy());
      return;
    }
    if (cdn[1] === 'acme/slow' && body === weights) {
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
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const dest = () => mkdtempSync(path.join(os.tmpdir(), 'sv-hub-'));

describe('Hugging Face Hub downloader', () => {
  it('lists files with their ids and rejects bad repo names', async () => {
    const files = await listHubFiles('acme/tiny', { endpoint });
    expect(files.map((f) => f.path).sort()).toEqual(['README.md', 'config.json', 'model.safetensors']);
    expect(files.find((f) => f.path === 'model.safetensors')!.sha256).toBe(sha256(weights));
    expect(files.find((f) => f.path === 'config.json')!.gitSha1).toBe(gitSha1(config));
    await expect(listHubFiles('not a repo', { endpoint })).rejects.toThrow(/not a Hugging Face repository name/);
    await expect(listHubFiles('acme/missing', { endpoint })).rejects.toThrow(/not found/);
  });

  it('downloads, verifies, reports progress, and skips non-model files', async () => {
    const dir = dest();
    const events: DownloadProgress[] = [];
    await downloadHubRepo('acme/tiny', dir, { endpoint, onProgress: (p) => events.push(p) });
    expect(readFileSync(path.join(dir, 'model.safetensors')).equals(weights)).toBe(true);
    expect(readFileSync(path.join(dir, 'config.json')).equals(config)).toBe(true);
    expect(existsSync(path.join(dir, 'README.md'))).toBe(false);
    expect(events.some((e) => e.state === 'verifying')).toBe(true);
    expect(events.at(-1)).toMatchObject({ state: 'done', receivedBytes: weights.length + config.length, totalBytes: weights.length + config.length });
  });

  it('resumes with a Range request after the connection drops', async () => {
    const dir = dest();
    dropNext = true;
    rangeHeaders.length = 0;
    await expect(downloadHubRepo('acme/tiny', dir, { endpoint })).rejects.toThrow();
    const partial = path.join(dir, 'model.safetensors.incomplete');
    const have = statSync(partial).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(weights.length);
    await downloadHubRepo('acme/tiny', dir, { endpoint });
    expect(rangeHeaders).toContain(`bytes=${have}-`);
    expect(readFileSync(path.join(dir, 'model.safetensors')).equals(weights)).toBe(true);
    expect(existsSync(partial)).toBe(false);
  });

  it('rejects a file whose sha256 does not match the hub and deletes it', async () => {
    const dir = dest();
    await expect(downloadHubRepo('acme/corrupt', dir, { endpoint })).rejects.toThrow(/model\.safetensors: checksum mismatch \(sha256/);
    expect(existsSync(path.join(dir, 'model.safetensors'))).toBe(false);
    expect(existsSync(path.join(dir, 'model.safetensors.incomplete'))).toBe(false);
  });

  it('cancels, keeping the partial file for a later resume', async () => {
    const dir = dest();
    const abort = new AbortController();
    const run = downloadHubRepo('acme/slow', dir, {
      endpoint,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.file === 'model.safetensors' && p.receivedBytes - config.length > 256 * 1024) abort.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(statSync(path.join(dir, 'model.safetensors.incomplete')).size).toBeGreaterThan(0);
    await downloadHubRepo('acme/slow', dir, { endpoint });
    expect(readFileSync(path.join(dir, 'model.safetensors')).equals(weights)).toBe(true);
  });
});
