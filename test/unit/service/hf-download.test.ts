// The Hub downloader (@huggingface/hub + our resume and checksums) against a loopback server that speaks the Hub's
// API: commit + file listing, redirects, the Hugging Face cache layout, Range resume after a dropped connection,
// sha256 / git-sha1 verification, cancel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { downloadHubRepo, hubRepoFolder, listHubFiles, type DownloadProgress } from '../../../engine/service/models/hf-download.ts';
import { gitSha1, sha256, startMockHub, type MockHub } from './mock-hub.ts';

const weights = randomBytes(3 * 1024 * 1024 + 17);
const config = Buffer.from(JSON.stringify({ model_type: 'llava_onevision' }));

let hub: MockHub;
beforeAll(async () => {
  hub = await startMockHub({
    'acme/tiny': { files: { 'config.json': config, 'model.safetensors': weights, 'README.md': Buffer.from('# hi') }, lfs: new Set(['model.safetensors']) },
    'acme/corrupt': { files: { 'config.json': config, 'model.safetensors': weights }, lfs: new Set(['model.safetensors']), badOid: 'model.safetensors' },
    'acme/slow': { files: { 'config.json': config, 'model.safetensors': weights }, lfs: new Set(['model.safetensors']), slow: 'model.safetensors' },
  });
});
afterAll(() => hub.close());

const cache = () => mkdtempSync(path.join(os.tmpdir(), 'sv-hub-'));
const blobOf = (cacheDir: string, repo: string, b: Buffer) => path.join(hubRepoFolder(cacheDir, repo), 'blobs', sha256(b));

describe('Hugging Face Hub downloader', () => {
  it('lists files with their ids and rejects bad repo names', async () => {
    const endpoint = hub.endpoint;
    const files = await listHubFiles('acme/tiny', { endpoint, revision: hub.commitOf('acme/tiny') });
    expect(files.map((f) => f.path).sort()).toEqual(['README.md', 'config.json', 'model.safetensors']);
    expect(files.find((f) => f.path === 'model.safetensors')!.sha256).toBe(sha256(weights));
    expect(files.find((f) => f.path === 'config.json')!.gitSha1).toBe(gitSha1(config));
    await expect(listHubFiles('not a repo', { endpoint })).rejects.toThrow(/not a Hugging Face repository name/);
    await expect(listHubFiles('acme/missing', { endpoint })).rejects.toThrow(/acme\/missing: repository not found/);
    await expect(listHubFiles('acme/tiny', { endpoint, token: 'secret' })).rejects.toThrow(/HF_TOKEN is not a Hugging Face access token/);
  });

  it('downloads into the cache layout (blobs, snapshot links, refs/main), verifies, reports progress, skips non-model files', async () => {
    const dir = cache();
    const events: DownloadProgress[] = [];
    const got = await downloadHubRepo('acme/tiny', { endpoint: hub.endpoint, cacheDir: dir, onProgress: (p) => events.push(p) });
    const repoDir = hubRepoFolder(dir, 'acme/tiny');
    expect(repoDir).toBe(path.join(dir, 'models--acme--tiny'));
    expect(got.commit).toBe(hub.commitOf('acme/tiny'));
    expect(got.snapshotDir).toBe(path.join(repoDir, 'snapshots', got.commit));
    expect(readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8')).toBe(got.commit);
    const link = path.join(got.snapshotDir, 'model.safetensors');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(path.join('..', '..', 'blobs', sha256(weights)));
    expect(readFileSync(link).equals(weights)).toBe(true);
    expect(readFileSync(path.join(got.snapshotDir, 'config.json')).equals(config)).toBe(true);
    expect(existsSync(path.join(repoDir, 'blobs', gitSha1(config)))).toBe(true);
    expect(existsSync(path.join(got.snapshotDir, 'README.md'))).toBe(false);
    expect(events.some((e) => e.state === 'verifying')).toBe(true);
    expect(events.at(-1)).toMatchObject({ state: 'done', receivedBytes: weights.length + config.length, totalBytes: weights.length + config.length });
  });

  it('resumes with a Range request after the connection drops', async () => {
    const dir = cache();
    hub.dropNext = 'model.safetensors';
    hub.ranges.length = 0;
    await expect(downloadHubRepo('acme/tiny', { endpoint: hub.endpoint, cacheDir: dir })).rejects.toThrow(/model\.safetensors: the connection ended after \d+ of \d+ bytes \(.+\); retry to resume/);
    const partial = `${blobOf(dir, 'acme/tiny', weights)}.incomplete`;
    const have = statSync(partial).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(weights.length);
    expect(existsSync(path.join(hubRepoFolder(dir, 'acme/tiny'), 'refs', 'main'))).toBe(false);
    const got = await downloadHubRepo('acme/tiny', { endpoint: hub.endpoint, cacheDir: dir });
    expect(hub.ranges).toContain(`bytes=${have}-${weights.length - 1}`);
    expect(readFileSync(path.join(got.snapshotDir, 'model.safetensors')).equals(weights)).toBe(true);
    expect(existsSync(partial)).toBe(false);
  });

  it('refuses a file whose sha256 does not match the hub and deletes it', async () => {
    const dir = cache();
    await expect(downloadHubRepo('acme/corrupt', { endpoint: hub.endpoint, cacheDir: dir })).rejects.toThrow(/model\.safetensors: checksum mismatch \(sha256/);
    const blobs = path.join(hubRepoFolder(dir, 'acme/corrupt'), 'blobs');
    const bad = path.join(blobs, sha256(Buffer.from('other')));
    expect(existsSync(bad)).toBe(false);
    expect(existsSync(`${bad}.incomplete`)).toBe(false);
    expect(existsSync(path.join(hubRepoFolder(dir, 'acme/corrupt'), 'snapshots', hub.commitOf('acme/corrupt'), 'model.safetensors'))).toBe(false);
  });

  it('keeps blobs already in the cache, and replaces a damaged one', async () => {
    const dir = cache();
    await downloadHubRepo('acme/tiny', { endpoint: hub.endpoint, cacheDir: dir });
    hub.ranges.length = 0;
    const events: DownloadProgress[] = [];
    await downloadHubRepo('acme/tiny', { endpoint: hub.endpoint, cacheDir: dir, onProgress: (p) => events.push(p) });
    expect(events.filter((e) => e.state === 'running' && e.file === 'model.safetensors')).toEqual([]); // nothing fetched
    writeFileSync(blobOf(dir, 'acme/tiny', weights), randomBytes(weights.length));
    const got = await downloadHubRepo('acme/tiny', { endpoint: hub.endpoint, cacheDir: dir });
    expect(readFileSync(path.join(got.snapshotDir, 'model.safetensors')).equals(weights)).toBe(true);
  });

  it('cancels, keeping the partial file for a later resume', async () => {
    const dir = cache();
    const abort = new AbortController();
    const run = downloadHubRepo('acme/slow', {
      endpoint: hub.endpoint,
      cacheDir: dir,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.file === 'model.safetensors' && p.receivedBytes - config.length > 256 * 1024) abort.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(statSync(`${blobOf(dir, 'acme/slow', weights)}.incomplete`).size).toBeGreaterThan(0);
    const got = await downloadHubRepo('acme/slow', { endpoint: hub.endpoint, cacheDir: dir });
    expect(readFileSync(path.join(got.snapshotDir, 'model.safetensors')).equals(weights)).toBe(true);
  });
});
