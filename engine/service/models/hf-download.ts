// Downloads a model repository from the Hugging Face Hub (or any server speaking its API: HF_ENDPOINT): lists files
// through /api/models/<repo>/tree/<rev>, fetches each with HTTP Range so an interrupted download resumes, and verifies
// every file against the hub's object id (sha256 for LFS files, git blob sha1 for small ones) before it is renamed
// into place. Progress is reported per chunk; an AbortSignal cancels (the partial file stays for resume).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';

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
  revision?: string;
  token?: string | null;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Which repo files to fetch (default: weights as safetensors, configs, tokenizer, templates). */
  filter?: (f: HubFile) => boolean;
}

export class HubDownloadError extends Error {
  override name = 'HubDownloadError';
}

const REPO = /^[\w.-]+\/[\w.-]+$/;

export function defaultHubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** What a chat model needs; skips other weight formats and repo clutter. */
export function isModelFile(f: HubFile): boolean {
  const name = f.path.toLowerCase();
  if (name.split('/').some((p) => p.startsWith('.'))) return false;
  return /\.(safetensors|json|jinja|txt|model|tiktoken)$/.test(name) && !name.endsWith('.md');
}

export async function listHubFiles(repo: string, opts: DownloadOptions = {}): Promise<HubFile[]> {
  if (!REPO.test(repo)) throw new HubDownloadError(`"${repo}" is not a Hugging Face repository name (expected owner/name)`);
  const endpoint = (opts.endpoint ?? defaultHubEndpoint()).replace(/\/+$/, '');
  const url = `${endpoint}/api/models/${repo}/tree/${encodeURIComponent(opts.revision ?? 'main')}?recursive=true`;
  const res = await fetchOrExplain(url, { headers: authHeaders(opts.token), signal: opts.signal }, `listing files of ${repo}`);
  if (res.status === 404 || res.status === 401) {
    throw new HubDownloadError(`${repo}: repository not found on ${endpoint} (or it is gated/private: set HF_TOKEN)`);
  }
  if (!res.ok) throw new HubDownloadError(`${repo}: the hub answered ${res.status} ${res.statusText} when listing files`);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new HubDownloadError(`${repo}: the hub's file list is not valid JSON`);
  }
  if (!Array.isArray(body)) throw new HubDownloadError(`${repo}: the hub's file list is not an array`);
  const files: HubFile[] = [];
  for (const e of body as Record<string, unknown>[]) {
    if (!e || e.type !== 'file' || typeof e.path !== 'string' || typeof e.size !== 'number') continue;
    if (e.path.includes('..') || path.isAbsolute(e.path) || e.path.includes('\\')) {
      throw new HubDownloadError(`${repo}: refusing a file path that leaves the model folder: ${JSON.stringify(e.path)}`);
    }
    const lfs = e.lfs as { oid?: unknown; size?: unknown } | undefined;
    const sha256 = typeof lfs?.oid === 'string' && /^[0-9a-f]{64}$/.test(lfs.oid) ? lfs.oid : null;
    const gitSha1 = !sha256 && typeof e.oid === 'string' && /^[0-9a-f]{40}$/.test(e.oid) ? e.oid : null;
    files.push({ path: e.path, size: typeof lfs?.size === 'number' ? lfs.size : e.size, sha256, gitSha1 });
  }
  return files;
}

/** Downloads `repo` into `destDir` (created); returns the files fetched. Already complete, verified files are kept. */
export async function downloadHubRepo(repo: string, destDir: string, opts: DownloadOptions = {}): Promise<HubFile[]> {
  const endpoint = (opts.endpoint ?? defaultHubEndpoint()).replace(/\/+$/, '');
  const all = await listHubFiles(repo, { ...opts, endpoint });
  const files = all.filter(opts.filter ?? isModelFile);
  if (!files.some((f) => f.path.endsWith('.safetensors'))) {
    throw new HubDownloadError(`${repo}: no .safetensors weights in the repository; only safetensors checkpoints are supported`);
  }
  const totalBytes = files.reduce((a, f) => a + f.size, 0);
  let doneBytes = 0;
  await fs.mkdir(destDir, { recursive: true });
  for (const f of files) {
    const target = path.join(destDir, f.path);
    const base = doneBytes;
    const report = (received: number, state: DownloadProgress['state']) =>
      opts.onProgress?.({ file: f.path, receivedBytes: base + received, totalBytes, state });
    await downloadOne(`${endpoint}/${repo}/resolve/${encodeURIComponent(opts.revision ?? 'main')}/${f.path.split('/').map(encodeURIComponent).join('/')}`, target, f, opts, report);
    doneBytes += f.size;
  }
  opts.onProgress?.({ file: '', receivedBytes: totalBytes, totalBytes, state: 'done' });
  return files;
}

async function downloadOne(
  url: string,
  target: string,
  f: HubFile,
  opts: DownloadOptions,
  report: (received: number, state: DownloadProgress['state']) => void,
): Promise<void> {
  const existing = await fs.stat(target).catch(() => null);
  if (existing && existing.size === f.size && (await verify(target, f)) === null) {
    report(f.size, 'running');
    return;
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.incomplete`;
  let have = (await fs.stat(partial).catch(() => null))?.size ?? 0;
  if (have > f.size) {
    await fs.rm(partial, { force: true });
    have = 0;
  }
  if (have < f.size || f.size === 0) {
    const headers: Record<string, string> = { ...authHeaders(opts.token) };
    if (have > 0) headers.Range = `bytes=${have}-`;
    const res = await fetchOrExplain(url, { headers, signal: opts.signal, redirect: 'follow' }, `downloading ${f.path}`);
    if (res.status === 416 && have === f.size) {
      await res.body?.cancel();
    } else {
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel();
        throw new HubDownloadError(`${f.path}: the server answered ${res.status} ${res.statusText}`);
      }
      if (res.status === 200 && have > 0) have = 0; // server ignored the Range: start over
      const handle = await fs.open(partial, have > 0 ? 'a' : 'w');
      try {
        let received = have;
        report(received, 'running');
        let lastReport = Date.now();
        if (!res.body) throw new HubDownloadError(`${f.path}: empty response`);
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (received + value.byteLength > f.size) throw new HubDownloadError(`${f.path}: the server sent more than the expected ${f.size} bytes`);
          await handle.write(value);
          received += value.byteLength;
          if (Date.now() - lastReport > 200) {
            lastReport = Date.now();
            report(received, 'running');
          }
        }
        await handle.sync();
        if (received !== f.size) throw new HubDownloadError(`${f.path}: the connection ended after ${received} of ${f.size} bytes; retry to resume`);
      } catch (err) {
        if (opts.signal?.aborted) throw new HubDownloadError('download cancelled');
        throw err;
      } finally {
        await handle.close();
      }
    }
  }
  report(f.size, 'verifying');
  const bad = await verify(partial, f);
  if (bad) {
    await fs.rm(partial, { force: true });
    throw new HubDownloadError(`${f.path}: ${bad}; the damaged file was deleted, retry the download`);
  }
  await fs.rename(partial, target);
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

function authHeaders(token: string | null | undefined): Record<string, string> {
  const t = token ?? process.env.HF_TOKEN ?? null;
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function fetchOrExplain(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if ((init.signal as AbortSignal | undefined)?.aborted) throw new HubDownloadError('download cancelled');
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new HubDownloadError(`${what}: cannot reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
}
