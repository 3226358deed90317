// Models already in the Hugging Face cache appear in the model manager without a second download: a generated
// checkpoint laid out the way huggingface_hub writes it (blobs + snapshot symlinks + refs/main) in a temporary
// HF_HOME is listed by the service; a model downloaded through the model manager lands in that cache and is listed;
// removing a cached model hides it (the files stay).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EventPayload, ModelInfo } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { DownloadManager } from '../../../engine/service/models/download-manager.ts';
import { ModelRegistry } from '../../../engine/service/models/registry.ts';
import { makeService, tmpDir } from './fixture.ts';
import { repoFromFolder, sha256, startMockHub, type MockHub } from './mock-hub.ts';

/** What huggingface_hub leaves after downloading `folder` as `repo` at `commit`. */
function placeInHubCache(hubCache: string, repo: string, folder: string, commit: string): string {
  const repoDir = path.join(hubCache, `models--${repo.replace('/', '--')}`);
  const snapshot = path.join(repoDir, 'snapshots', commit);
  mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
  for (const name of readdirSync(folder)) {
    const bytes = readFileSync(path.join(folder, name));
    const id = sha256(bytes);
    writeFileSync(path.join(repoDir, 'blobs', id), bytes);
    symlinkSync(path.join('..', '..', 'blobs', id), path.join(snapshot, name));
  }
  writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
  return snapshot;
}

const commit = (s: string) => createHash('sha1').update(s).digest('hex');
const work = tmpDir('sv-hfcache-');
const tinyModel = path.join(work, 'tiny-model');
const saved = { HF_HOME: process.env.HF_HOME, HF_HUB_CACHE: process.env.HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE: process.env.HUGGINGFACE_HUB_CACHE };

beforeAll(() => {
  makeCheckpoint(tinyModel, { preset: 'tiny', seed: 3 });
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
});

describe('models in the Hugging Face cache', () => {
  it('a generated checkpoint in a temporary HF_HOME appears in the model list (other repos are ignored)', async () => {
    const hfHome = path.join(work, 'hf-home');
    process.env.HF_HOME = hfHome;
    delete process.env.HF_HUB_CACHE;
    delete process.env.HUGGINGFACE_HUB_CACHE;
    const snapshot = placeInHubCache(path.join(hfHome, 'hub'), 'acme/tiny-llava', tinyModel, commit('v1'));
    const other = path.join(work, 'not-llava');
    mkdirSync(other);
    writeFileSync(path.join(other, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    placeInHubCache(path.join(hfHome, 'hub'), 'acme/bert', other, commit('bert'));

    const svc = await makeService(path.join(work, 'data-1'));
    try {
      const list = (await svc.service.call('models.list', {})) as { ok: true; res: ModelInfo[] };
      expect(list.ok).toBe(true);
      expect(list.res).toHaveLength(1);
      expect(list.res[0]).toMatchObject({ name: 'acme/tiny-llava', source: 'downloaded', path: snapshot, architecture: 'LlavaOnevisionForConditionalGeneration' });
      expect(list.res[0].description).toContain('Hugging Face cache');

      // Fetched while the app runs (e.g. by transformers): the next list shows it; deleted from the cache: it goes.
      placeInHubCache(path.join(hfHome, 'hub'), 'acme/later-llava', tinyModel, commit('later'));
      const later = (await svc.service.call('models.list', {})) as { ok: true; res: ModelInfo[] };
      expect(later.res.map((m) => m.name)).toEqual(['acme/later-llava', 'acme/tiny-llava']);
      rmSync(path.join(hfHome, 'hub', 'models--acme--later-llava'), { recursive: true });
      const gone = (await svc.service.call('models.list', {})) as { ok: true; res: ModelInfo[] };
      expect(gone.res.map((m) => m.name)).toEqual(['acme/tiny-llava']);
    } finally {
      await svc.close();
    }
  });

  it('follows refs/main to the current snapshot and keeps the model id across revisions', async () => {
    const hubCache = path.join(work, 'hub-revisions');
    placeInHubCache(hubCache, 'acme/tiny-llava', tinyModel, commit('old'));
    const reg = new ModelRegistry(path.join(work, 'data-2'), null, hubCache);
    await reg.load();
    const before = reg.list();
    const newer = placeInHubCache(hubCache, 'acme/tiny-llava', tinyModel, commit('new')); // rewrites refs/main
    await reg.load();
    expect(reg.list().map((m) => m.path)).toEqual([newer]);
    expect(reg.list()[0].id).toBe(before[0].id);
  });

  it('removing a cached model hides it across restarts and leaves the cache alone', async () => {
    const hubCache = path.join(work, 'hub-remove');
    const snapshot = placeInHubCache(hubCache, 'acme/tiny-llava', tinyModel, commit('rm'));
    const dataDir = path.join(work, 'data-3');
    const reg = new ModelRegistry(dataDir, null, hubCache);
    await reg.load();
    expect(await reg.remove(reg.list()[0].id)).toBe(true);
    expect(reg.list()).toEqual([]);
    const again = new ModelRegistry(dataDir, null, hubCache);
    await again.load();
    expect(again.list()).toEqual([]);
    expect(existsSync(path.join(snapshot, 'model.safetensors'))).toBe(true);
  });

  describe('downloads through the model manager', () => {
    let hub: MockHub;
    beforeAll(async () => {
      hub = await startMockHub({ 'acme/tiny-llava': repoFromFolder(tinyModel) });
    });
    afterAll(() => hub.close());

    it('land in the cache and are listed; a model already there is listed without downloading', async () => {
      const hubCache = path.join(work, 'hub-download');
      const reg = new ModelRegistry(path.join(work, 'data-4'), null, hubCache);
      await reg.load();
      expect(reg.list()).toEqual([]);
      const events: EventPayload<'models.downloadProgress'>[] = [];
      const done = new Promise<EventPayload<'models.downloadProgress'>>((resolve) => {
        const downloads = new DownloadManager(reg, (p) => {
          events.push(p);
          if (p.state === 'done' || p.state === 'error') resolve(p);
        }, hub.endpoint);
        downloads.start('acme/tiny-llava');
      });
      expect(await done).toMatchObject({ state: 'done' });
      const snapshot = path.join(hubCache, 'models--acme--tiny-llava', 'snapshots', hub.commitOf('acme/tiny-llava'));
      expect(reg.list()).toEqual([expect.objectContaining({ name: 'acme/tiny-llava', source: 'downloaded', path: snapshot })]);

      const fresh = new ModelRegistry(path.join(work, 'data-5'), null, hubCache);
      await fresh.load();
      expect(fresh.list().map((m) => m.path)).toEqual([snapshot]);
    });
  });
});
