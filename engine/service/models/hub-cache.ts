// Models the user already has in the Hugging Face cache (what huggingface_hub, transformers and our downloader write:
// models--org--name/snapshots/<commit>/ with refs/<branch> naming a commit), found through @huggingface/hub's cache
// scan. Only the model families the engine runs are offered (LLaVA-OneVision, Qwen2.5-VL, Qwen3-VL); the user's other
// models and datasets are none of our business.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { getHFHubCachePath, scanCacheDir, type CachedRepoInfo } from '@huggingface/hub';

export interface CachedHubModel {
  /** org/name */
  repo: string;
  /** models--org--name: stays the same when a newer revision arrives. */
  repoDir: string;
  /** The snapshot to load: the one refs/main names, else the newest. */
  snapshotDir: string;
}

/** HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (read when called, like huggingface_hub). */
export function defaultHubCacheDir(): string {
  return getHFHubCachePath();
}

export async function findCachedHubModels(cacheDir: string): Promise<CachedHubModel[]> {
  if (!existsSync(cacheDir) || !statSync(cacheDir).isDirectory()) return [];
  const scan = await scanCacheDir(cacheDir);
  const out: CachedHubModel[] = [];
  for (const repo of scan.repos) {
    if (repo.id.type !== 'model') continue;
    const snapshotDir = chosenSnapshot(repo);
    if (snapshotDir && isSupportedFamily(snapshotDir)) out.push({ repo: repo.id.name, repoDir: repo.path, snapshotDir });
  }
  return out.sort((a, b) => a.repo.localeCompare(b.repo));
}

function chosenSnapshot(repo: CachedRepoInfo): string | null {
  const main = repo.revisions.find((r) => r.refs.includes('main'));
  if (main) return main.path;
  const newest = [...repo.revisions].sort((a, b) => b.lastModifiedAt.getTime() - a.lastModifiedAt.getTime())[0];
  return newest?.path ?? null;
}

const MODEL_TYPES = new Set(['llava_onevision', 'qwen2_5_vl', 'qwen3_vl']);

function isSupportedFamily(dir: string): boolean {
  try {
    const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { model_type?: unknown };
    return typeof cfg.model_type === 'string' && MODEL_TYPES.has(cfg.model_type);
  } catch {
    return false;
  }
}
