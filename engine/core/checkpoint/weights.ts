// The tensors of a model folder (one model.safetensors or shards listed in model.safetensors.index.json), under
// canonical names, read one at a time straight into their own buffers.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { HostTensorData } from '../backend/backend.ts';
import { SafetensorsFile, stToDType, type StTensorInfo } from './safetensors.ts';

export class WeightError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'WeightError';
  }
}

/** Layouts seen in the wild map to one canonical form (vision_tower.vision_model.*, multi_modal_projector.*,
 *  image_newline, language_model.<Qwen2Model>.*, lm_head.weight):
 *  - hub llava-hf checkpoints: language_model.model.*, language_model.lm_head.weight, vision_tower.vision_model.*;
 *  - transformers 5.17 save_pretrained: the same, but the SigLIP tower flattened (vision_tower.embeddings.*, ...);
 *  - in-memory transformers >= 4.52 names: model.language_model.*, model.vision_tower.*, lm_head.weight. */
export function canonicalName(name: string): string {
  const c = canonicalPrefix(name);
  return c.replace(/^vision_tower\.(embeddings|encoder|post_layernorm|head)\./, 'vision_tower.vision_model.$1.');
}

function canonicalPrefix(name: string): string {
  const rules: [RegExp, string][] = [
    [/^model\.vision_tower\./, 'vision_tower.'],
    [/^model\.multi_modal_projector\./, 'multi_modal_projector.'],
    [/^model\.image_newline$/, 'image_newline'],
    [/^model\.language_model\./, 'language_model.'],
    [/^language_model\.model\./, 'language_model.'],
    [/^language_model\.lm_head\./, 'lm_head.'],
  ];
  for (const [re, rep] of rules) if (re.test(name)) return name.replace(re, rep);
  return name;
}

/** Where a model's tensors come from: a checkpoint folder, or synthetic weights. */
export interface WeightSource {
  has(name: string): boolean;
  /** Read a tensor; `shape` (if given) must match exactly. */
  get(name: string, shape?: readonly number[]): HostTensorData;
  close(): void;
}

export class CheckpointWeights implements WeightSource {
  private files: SafetensorsFile[] = [];
  private where = new Map<string, { file: SafetensorsFile; info: StTensorInfo }>();

  constructor(dir: string) {
    const indexPath = join(dir, 'model.safetensors.index.json');
    let shardNames: string[];
    if (existsSync(indexPath)) {
      shardNames = shardsOfIndex(indexPath);
      for (const s of shardNames) {
        if (!existsSync(join(dir, s))) throw new WeightError(`${indexPath} lists shard "${s}" but ${join(dir, s)} does not exist`);
      }
    } else if (existsSync(join(dir, 'model.safetensors'))) {
      shardNames = ['model.safetensors'];
    } else {
      const any = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort() : [];
      if (any.length === 0) {
        throw new WeightError(`${dir}: no model.safetensors, model.safetensors.index.json or *.safetensors file found`);
      }
      shardNames = any;
    }
    try {
      for (const s of shardNames) {
        const f = new SafetensorsFile(join(dir, s));
        this.files.push(f);
        for (const info of f.tensors.values()) {
          const c = canonicalName(info.name);
          if (this.where.has(c)) throw new WeightError(`tensor "${info.name}" appears twice (in ${s} and ${this.where.get(c)!.file.path})`);
          this.where.set(c, { file: f, info });
        }
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  names(): string[] {
    return [...this.where.keys()];
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  /** The stored shape of a tensor (by canonical name), without reading it. */
  shapeOf(name: string): readonly number[] | undefined {
    return this.where.get(name)?.info.shape;
  }

  get(name: string, shape?: readonly number[]): HostTensorData {
    const w = this.where.get(name);
    if (!w) throw new WeightError(`missing tensor "${name}" in the checkpoint (config.json expects it)`);
    const dtype = stToDType(w.info.dtype);
    if (!dtype) throw new WeightError(`${w.file.path}: tensor "${w.info.name}" has dtype ${w.info.dtype}; weights must be F32, F16 or BF16`);
    if (shape && (shape.length !== w.info.shape.length || shape.some((d, i) => d !== w.info.shape[i]))) {
      throw new WeightError(`${w.file.path}: tensor "${w.info.name}" has shape ${JSON.stringify(w.info.shape)} but config.json implies ${JSON.stringify(shape)}`);
    }
    return { dtype, shape: [...w.info.shape], bytes: w.file.readBytes(w.info.name) };
  }

  close(): void {
    for (const f of this.files) f.close();
    this.files = [];
  }
}

/** The shard files model.safetensors.index.json names, each checked to be a plain file name inside the folder. */
function shardsOfIndex(indexPath: string): string[] {
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    throw new WeightError(`${indexPath}: not valid JSON (${(e as Error).message})`);
  }
  const map = index?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    throw new WeightError(`${indexPath}: weight_map must be an object mapping tensor names to shard files`);
  }
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard === '') {
      throw new WeightError(`${indexPath}: weight_map[${JSON.stringify(tensor)}] must be a shard file name, got ${JSON.stringify(shard)}`);
    }
    shards.add(shard);
  }
  for (const s of shards) {
    const n = normalize(s);
    if (isAbsolute(s) || n === '..' || n.startsWith(`..${sep}`) || n.includes('\0')) {
      throw new WeightError(`${indexPath}: shard "${s}" is not a file inside the model folder`);
    }
  }
  return [...shards].sort();
}
