// Downloads a model repository from the Hugging Face Hub (or any server speaking its API: HF_ENDPOINT) into the
// Hugging Face cache, in the layout huggingface_hub and transformers use (models--org--name/blobs/<id>,
// snapshots/<commit>/<file> -> ../../blobs/<id>, refs/<branch>), so a model fetched here is shared with Python tools
// and one they fetched is not fetched again. The hub calls go through @huggingface/hub (modelInfo for the commit,
// listFiles, downloadFile). What its downloadFileToCacheDir lacks we keep: each blob is fetched with HTTP Range into
// blobs/<id>.incomplete so an interrupted download resumes, and is verified against the hub's object id (sha256 for
// LFS files, git blob sha1 for small ones) before it is renamed into place. Progress is reported per chunk; an
// AbortSignal cancels (the partial blob stays for resume).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { downloadFile, getRepoFolderName, HubApiError, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { defaultHubCacheDir } from './hub-cache.ts';

export interface HubFile {
  path: string;
  size: number;
  /** sha256 of the content for LFS files; otherwise null. */
  sha256: string | null;
  /** git blob sha1 (of "blob <size>\0" + content) for non-LFS files; otherwise null. */
  gitSha1: string | null;
}

export interface DownloadProgress {
  file: string;
  receivedBytes: number;
  totalBytes: number;
  state: 'running' | 'verifying' | 'done';
}

export interface DownloadOptions {
  endpoint?: string;
  /** Branch, tag or commit (default main). */
  revision?: string;
  token?: string | null;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Which repo files to fetch (default: weights as safetensors, configs, tokenizer, templates). */
  filter?: (f: HubFile) => boolean;
  /** The Hugging Face hub cache (default HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
}

export interface DownloadedSnapshot {
  /** snapshots/<commit> inside the repo's cache folder: a model folder the engine loads. */
  snapshotDir: string;
  commit: string;
  files: HubFile[];
}

export class HubDownloadError extends Error {
  override name = 'HubDownloadError';
}

const REPO = /^[\w.-]+\/[\w.-]+$/;

export function defaultHubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** models--org--name inside the cache. */
export function hubRepoFolder(cacheDir: string, repo: string): string {
  return path.join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

/** What a chat model needs; skips other weight formats and repo clutter. */
export function isModelFile(f: HubFile): boolean {
  const name = f.path.toLowerCase();
  if (name.split('/').some((p) => p.startsWith('.'))) return false;
  return /\.(safetensors|json|jinja|txt|model|tiktoken)$/.test(name) && !name.endsWith('.md');
}

/** The arguments every @huggingface/hub call takes: endpoint, token, and a fetch that honours our AbortSignal. */
function hubParams(repo: string, opts: DownloadOptions) {
  if (!REPO.test(repo)) throw new HubDownloadError(`"${repo}" is not a Hugging Face repository name (expected owner/name)`);
  const token = opts.token ?? process.env.HF_TOKEN ?? null;
  if (token && !token.startsWith('hf_')) throw new HubDownloadError('HF_TOKEN is not a Hugging Face access token (they start with "hf_")');
  const signal = opts.signal;
  return {
    hubUrl: (opts.endpoint ?? defaultHubEndpoint()).replace(/\/+$/, ''),
    accessToken: token ?? undefined,
    fetch: ((input, init) => fetch(input, { ...init, signal })) as typeof fetch,
  };
}

/** Runs one hub call, turning the library's and fetch's errors into one sentence for the user. */
async function hubCall<T>(repo: string, what: string, opts: DownloadOptions, hubUrl: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (opts.signal?.aborted) throw new HubDownloadError('download cancelled');
    if (err instanceof HubDownloadError) throw err;
    if (err instanceof HubApiError) {
      if (err.statusCode === 401 || err.statusCode === 403 || err.statusCode === 404) {
        throw new HubDownloadError(`${repo}: repository not found on ${hubUrl} (or it is gated/private: set HF_TOKEN)`);
      }
      throw new HubDownloadError(`${repo}: the hub answered ${err.statusCode} when ${what}`);
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new HubDownloadError(`${what}: cannot reach ${new URL(hubUrl).origin} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
}

/** The commit a branch or tag points to (a commit id is returned as is). */
export async function resolveHubCommit(repo: string, opts: DownloadOptions = {}): Promise<string> {
  const params = hubParams(repo, opts);
  const revision = opts.revision ?? 'main';
  if (/^[0-9a-f]{40}$/.test(revision)) return revision;
  const info = await hubCall(repo, `resolving ${revision}`, opts, params.hubUrl, () =>
    modelInfo({ ...params, name: repo, revision, additionalFields: ['sha'] }),
  );
  if (typeof info.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha)) {
    throw new HubDownloadError(`${repo}: the hub gave no commit id for ${revision}`);
  }
  return info.sha;
}

export async function listHubFiles(repo: string, opts: DownloadOptions = {}): Promise<HubFile[]> {
  const params = hubParams(repo, opts);
  const entries = await hubCall(repo, 'listing files', opts, params.hubUrl, async () => {
    const all: ListFileEntry[] = [];
    for await (const e of listFiles({ ...params, repo: { type: 'model', name: repo }, revision: opts.revision ?? 'main', recursive: true })) all.push(e);
    return all;
  });
  const files: HubFile[] = [];
  for (const e of entries) {
    if (e.type !== 'file' || typeof e.path !== 'string' || typeof e.size !== 'number') continue;
    if (e.path.split('/').includes('..') || path.isAbsolute(e.path) || e.path.includes('\\')) {
      throw new HubDownloadError(`${repo}: refusing a file path that leaves the model folder: ${JSON.stringify(e.path)}`);
    }
    const sha256 = typeof e.lfs?.oid === 'string' && /^[0-9a-f]{64}$/.test(e.lfs.oid) ? e.lfs.oid : null;
    const gitSha1 = !sha256 && typeof e.oid === 'string' && /^[0-9a-f]{40}$/.test(e.oid) ? e.oid : null;
    files.push({ path: e.path, size: typeof e.lfs?.size === 'number' ? e.lfs.size : e.size, sha256, gitSha1 });
  }
  return files;
}

/** Downloads `repo` into the hub cache; blobs already there and intact are kept. */
export async function downloadHubRepo(repo: string, opts: DownloadOptions = {}): Promise<DownloadedSnapshot> {
  const params = hubParams(repo, opts);
  const revision = opts.revision ?? 'main';
  const commit = await resolveHubCommit(repo, opts);
  const files = (await listHubFiles(repo, { ...opts, revision: commit })).filter(opts.filter ?? isModelFile);
  if (!files.some((f) => f.path.endsWith('.safetensors'))) {
    throw new HubDownloadError(`${repo}: no .safetensors weights in the repository; only safetensors checkpoints are supported`);
  }
  const storage = hubRepoFolder(opts.cacheDir ?? defaultHubCacheDir(), repo);
  const snapshotDir = path.join(storage, 'snapshots', commit);
  const totalBytes = files.reduce((a, f) => a + f.size, 0);
  let doneBytes = 0;
  for (const f of files) {
    const base = doneBytes;
    const report = (received: number, state: DownloadProgress['state']) =>
      opts.onProgress?.({ file: f.path, receivedBytes: base + received, totalBytes, state });
    const blob = await fetchBlob(storage, f, report, opts, () =>
      hubCall(repo, `downloading ${f.path}`, opts, params.hubUrl, () =>
        downloadFile({ ...params, repo: { type: 'model', name: repo }, path: f.path, revision: commit, xet: false }),
      ),
    );
    await linkIntoSnapshot(blob, path.join(snapshotDir, f.path));
    doneBytes += f.size;
  }
  // The branch is pointed at the commit only once the snapshot is complete.
  if (revision !== commit) {
    const ref = path.join(storage, 'refs', revision);
    await fs.mkdir(path.dirname(ref), { recursive: true });
    await fs.writeFile(ref, commit);
  }
  opts.onProgress?.({ file: '', receivedBytes: totalBytes, totalBytes, state: 'done' });
  return { snapshotDir, commit, files };
}

/** Makes blobs/<id> hold the verified file (resuming blobs/<id>.incomplete); returns its path. */
async function fetchBlob(
  storage: string,
  f: HubFile,
  report: (received: number, state: DownloadProgress['state']) => void,
  opts: DownloadOptions,
  open: () => Promise<Blob | null>,
): Promise<string> {
  const id = f.sha256 ?? f.gitSha1;
  if (!id) throw new HubDownloadError(`${f.path}: the hub's file list gives no checksum for it, so it cannot be verified`);
  const blob = path.join(storage, 'blobs', id);
  if (await fs.stat(blob).catch(() => null)) {
    report(f.size, 'verifying');
    if ((await verify(blob, f)) === null) return blob;
    await fs.rm(blob, { force: true });
  }
  await fs.mkdir(path.dirname(blob), { recursive: true });
  const partial = `${blob}.incomplete`;
  let have = (await fs.stat(partial).catch(() => null))?.size ?? 0;
  if (have > f.size) {
    await fs.rm(partial, { force: true });
    have = 0;
  }
  if (have < f.size || f.size === 0) {
    const remote = await open();
    if (!remote) throw new HubDownloadError(`${f.path}: the hub no longer has this file`);
    if (remote.size !== f.size) throw new HubDownloadError(`${f.path}: the server reports ${remote.size} bytes, the file list ${f.size}`);
    await appendFrom((have > 0 ? remote.slice(have) : remote).stream(), partial, have, f, report, opts);
  }
  report(f.size, 'verifying');
  const bad = await verify(partial, f);
  if (bad) {
    await fs.rm(partial, { force: true });
    throw new HubDownloadError(`${f.path}: ${bad}; the damaged file was deleted, retry the download`);
  }
  await fs.rename(partial, blob);
  return blob;
}

async function appendFrom(
  body: ReadableStream<Uint8Array>,
  partial: string,
  have: number,
  f: HubFile,
  report: (received: number, state: DownloadProgress['state']) => void,
  opts: DownloadOptions,
): Promise<void> {
  const handle = await fs.open(partial, have > 0 ? 'a' : 'w');
  let received = have;
  let tooLong = false;
  try {
    report(received, 'running');
    let lastReport = Date.now();
    const reader = body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (opts.signal?.aborted) throw new HubDownloadError('download cancelled');
        // @huggingface/hub's blob stream fails with the reason as a bare string (e.g. an HTTP error on the Range request).
        const why = typeof err === 'string' ? err : (err as Error).message;
        throw new HubDownloadError(`${f.path}: the connection ended after ${received} of ${f.size} bytes (${why}); retry to resume`);
      }
      if (chunk.done) break;
      if (received + chunk.value.byteLength > f.size) {
        // e.g. a server that ignored the Range and sent the whole file again: this partial file cannot be trusted.
        tooLong = true;
        await reader.cancel();
        throw new HubDownloadError(`${f.path}: the server sent more than the expected ${f.size} bytes; the partial file was deleted, retry the download`);
      }
      await handle.write(chunk.value);
      received += chunk.value.byteLength;
      if (Date.now() - lastReport > 200) {
        lastReport = Date.now();
        report(received, 'running');
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
    if (tooLong) await fs.rm(partial, { force: true });
  }
  if (received !== f.size) throw new HubDownloadError(`${f.path}: the connection ended after ${received} of ${f.size} bytes; retry to resume`);
}

/** snapshots/<commit>/<file> -> the blob, relative like huggingface_hub's (a copy where symlinks are not allowed). */
async function linkIntoSnapshot(blob: string, pointer: string): Promise<void> {
  await fs.mkdir(path.dirname(pointer), { recursive: true });
  await fs.rm(pointer, { force: true });
  try {
    await fs.symlink(path.relative(path.dirname(pointer), blob), pointer);
  } catch {
    await fs.copyFile(blob, pointer);
  }
}

/** null when the file matches the hub's id, else what is wrong. */
async function verify(file: string, f: HubFile): Promise<string | null> {
  const size = (await fs.stat(file)).size;
  if (size !== f.size) return `size ${size} differs from the expected ${f.size}`;
  let hash: Hash;
  let want: string;
  if (f.sha256) {
    hash = createHash('sha256');
    want = f.sha256;
  } else if (f.gitSha1) {
    hash = createHash('sha1').update(`blob ${size}\0`);
    want = f.gitSha1;
  } else {
    return null;
  }
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const got = hash.digest('hex');
  return got === want ? null : `checksum mismatch (${f.sha256 ? 'sha256' : 'git sha1'} ${got.slice(0, 12)}…, expected ${want.slice(0, 12)}…)`;
}
