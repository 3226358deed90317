// "Make a 4-bit copy" jobs for the model manager: the engine process quantizes (engine/core/quantize) into the app's
// data folder (models/<name>-4bit-<method>), progress goes out as contract events, cancel by id, and the finished
// copy is validated and added to the model list. A failed, cancelled or crashed job leaves no folder behind.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { QuantizeProgress } from '../../../electron/contract.ts';
import type { EngineHost } from '../engine-host/engine-host.ts';
import type { ModelRegistry } from './registry.ts';

type Method = QuantizeProgress['method'];

export class QuantizeError extends Error {
  override name = 'QuantizeError';
}

/** A folder name from a model name (hub repos have a slash). */
function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 80) || 'model';
}

export class QuantizeManager {
  private running = new Map<string, { modelId: string; cancelled: boolean; done: Promise<void> }>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly engine: EngineHost,
    /** Where copies go (<data>/models). */
    private readonly modelsDir: string,
    private readonly emit: (p: QuantizeProgress) => void,
  ) {}

  /** Starts a copy (or returns the job already copying this model). Throws QuantizeError when it cannot. */
  start(modelId: string, method: Method): string {
    for (const [id, j] of this.running) if (j.modelId === modelId) return id;
    const facts = this.registry.get(modelId);
    if (!facts) throw new QuantizeError(`no model with id ${modelId}`);
    if (facts.info.precision === '4-bit') throw new QuantizeError(`“${facts.info.name}” is already 4-bit`);
    if (facts.kind !== 'llava') throw new QuantizeError(`4-bit copies are made of LLaVA-OneVision models; “${facts.info.name}” is a Qwen-VL model (use its published -AWQ version)`);
    const jobId = `q-${randomUUID()}`;
    const base = `${slug(facts.info.name)}-4bit-${method}`;
    let outPath = path.join(this.modelsDir, base);
    for (let n = 2; existsSync(outPath); n++) outPath = path.join(this.modelsDir, `${base}-${n}`);
    let last: QuantizeProgress = { jobId, modelId, method, stage: 'starting', done: 0, total: 0, state: 'running' };
    const job = { modelId, cancelled: false, done: Promise.resolve() };
    job.done = (async () => {
      this.emit(last);
      let written = false;
      try {
        await fs.mkdir(this.modelsDir, { recursive: true });
        // A cancel that came before the request went out (the engine would not know the job yet).
        if (job.cancelled) throw new QuantizeError('cancelled');
        await this.engine.request('quantize', { jobId, modelPath: facts.info.path, outPath, method }, (e) => {
          last = { ...last, ...e.data };
          this.emit(last);
        });
        written = true;
        const model = await this.registry.add(outPath, 'local', `${facts.info.name} (4-bit ${method.toUpperCase()})`);
        this.emit({ ...last, state: 'done', model });
      } catch (err) {
        await this.removeLeftovers(outPath, written);
        this.emit(job.cancelled ? { ...last, state: 'cancelled' } : { ...last, state: 'error', error: (err as Error).message });
      } finally {
        this.running.delete(jobId);
      }
    })();
    this.running.set(jobId, job);
    return jobId;
  }

  cancel(jobId: string): boolean {
    const j = this.running.get(jobId);
    if (!j) return false;
    j.cancelled = true;
    void this.engine.request('cancelQuantize', { jobId }).catch(() => undefined);
    return true;
  }

  async close(): Promise<void> {
    const all = [...this.running.keys()];
    for (const id of all) this.cancel(id);
    await Promise.all([...this.running.values()].map((j) => j.done));
  }

  /** The engine removes its partial folder when it fails; after a crash (or a copy the list refused) this does. */
  private async removeLeftovers(outPath: string, written: boolean): Promise<void> {
    const name = path.basename(outPath);
    const partial = (await fs.readdir(this.modelsDir).catch(() => [] as string[])).filter((f) => f.startsWith(`.${name}.partial-`));
    await Promise.all([...partial.map((f) => path.join(this.modelsDir, f)), ...(written ? [outPath] : [])]
      .map((p) => fs.rm(p, { recursive: true, force: true })));
  }
}
