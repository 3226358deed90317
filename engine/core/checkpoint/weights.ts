// The tensors of a model folder (one model.safetensors or shards listed in model.safetensors.index.json), under
// canonical names, read one at a time straight into their own buffers.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { AwqPacked, HostTensorData } from '../backend/backend.ts';
import { SafetensorsFile, stToDType, type StTensorInfo } from './safetensors.ts';
import { keptUnquantized, transformersModuleName, type AwqConfig } from './quant-config.ts';
import { checkAwqShapes } from './awq-layout.ts';

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
 *  - in-memory transformers >= 4.52 names: model.language_model.*, model.vision_tower.*, lm_head.weight.
 *  Qwen2.5-VL / Qwen3-VL (canonical: visual.*, language_model.<text model>.*, lm_head.weight):
 *  - transformers >= 4.52 save_pretrained (and the Qwen3-VL hub checkpoints): model.visual.*, model.language_model.*;
 *  - the Qwen2.5-VL hub checkpoints: visual.*, model.{embed_tokens,layers,norm}.*. */
export function canonicalName(name: string): string {
  const c = canonicalPrefix(name);
  return c.replace(/^vision_tower\.(embeddings|encoder|post_layernorm|head)\./, 'vision_tower.vision_model.$1.');
}

function canonicalPrefix(name: string): string {
  const rules: [RegExp, string][] = [
    [/^model\.vision_tower\./, 'vision_tower.'],
    [/^model\.visual\./, 'visual.'],
    [/^model\.multi_modal_projector\./, 'multi_modal_projector.'],
    [/^model\.image_newline$/, 'image_newline'],
    [/^model\.language_model\./, 'language_model.'],
    [/^model\.(embed_tokens|layers|norm)\./, 'language_model.$1.'],
    [/^language_model\.model\./, 'language_model.'],
    [/^language_model\.lm_head\./, 'lm_head.'],
  ];
  for (const [re, rep] of rules) if (re.test(name)) return name.replace(re, rep);
  return name;
}

/** A linear layer as a 4-bit (AWQ) checkpoint may store it: `<module>.qweight` / `.qzeros` / `.scales` instead of
 *  `<module>.weight` (WeightSource.linearQ4). `awq`: 'required' where an AWQ checkpoint must store it in 4 bits unless
 *  modules_to_not_convert names it (the language model's decoder layers, what AutoAWQ quantizes), 'optional' where it
 *  may be either (the vision tower, the projector, lm_head). */
export interface LinearModule {
  module: string;
  awq: 'required' | 'optional';
}

/** Where a model's tensors come from: a checkpoint folder, or synthetic weights. */
export interface WeightSource {
  has(name: string): boolean;
  /** Read a tensor; `shape` (if given) must match exactly. */
  get(name: string, shape?: readonly number[]): HostTensorData;
  /** The 4-bit weight of a linear layer (logical shape [out, in]) when the source stores it so, null when it is the
   *  16-bit `<module>.weight`. Absent: every weight is 16-bit. */
  linearQ4?(linear: LinearModule, shape: readonly number[]): AwqPacked | null;
  close(): void;
}

export class CheckpointWeights implements WeightSource {
  private files: SafetensorsFile[] = [];
  private where = new Map<string, { file: SafetensorsFile; info: StTensorInfo }>();

  /** `quant`: config.json's quantization_config (quant-config.ts), null for a 16-bit checkpoint. */
  constructor(dir: string, private readonly quant: AwqConfig | null = null) {
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

  /** The stored shape of a tensor (by canonical name), without reading it; a 4-bit linear's `<prefix>.weight` has the
   *  logical shape [out, in] its qweight [in, out/8] implies. */
  shapeOf(name: string): readonly number[] | undefined {
    const s = this.where.get(name)?.info.shape;
    if (s || !name.endsWith('.weight')) return s;
    const q = this.where.get(`${name.slice(0, -'.weight'.length)}.qweight`)?.info.shape;
    return q && q.length === 2 ? [q[1] * 8, q[0]] : undefined;
  }

  linearQ4(linear: LinearModule, shape: readonly number[]): AwqPacked | null {
    const prefix = linear.module;
    const qw = this.where.get(`${prefix}.qweight`);
    const quant = this.quant;
    if (!quant) {
      if (qw) throw new WeightError(`${qw.file.path}: tensor "${qw.info.name}" is a 4-bit weight but config.json has no quantization_config`);
      return null;
    }
    const names = [prefix, transformersModuleName(prefix), ...(qw ? [qw.info.name.slice(0, -'.qweight'.length)] : [])];
    const w16 = this.where.get(`${prefix}.weight`);
    if (w16) names.push(w16.info.name.slice(0, -'.weight'.length));
    if (keptUnquantized(names, quant.modulesToNotConvert)) {
      if (qw) throw new WeightError(`${qw.file.path}: tensor "${qw.info.name}" is stored in 4 bits but quantization_config.modules_to_not_convert keeps module "${prefix}" in 16 bits`);
      return null;
    }
    if (!qw) {
      if (linear.awq === 'optional') return null;
      throw new WeightError(`missing tensor "${prefix}.qweight": quantization_config makes the language model's linear layers 4-bit`
        + (w16 ? ` (its 16-bit "${w16.info.name}" is there: list "${prefix}" in modules_to_not_convert to keep it 16-bit)` : ''));
    }
    const [out, inF] = shape;
    const part = (t: 'qweight' | 'qzeros' | 'scales') => this.where.get(`${prefix}.${t}`);
    const parts = { qweight: qw, qzeros: part('qzeros'), scales: part('scales') };
    checkAwqShapes(prefix, { out, in: inF, groupSize: quant.groupSize },
      { qweight: parts.qweight.info.shape, qzeros: parts.qzeros?.info.shape, scales: parts.scales?.info.shape });
    const want = { qweight: 'I32', qzeros: 'I32', scales: 'F16' } as const;
    for (const t of ['qweight', 'qzeros', 'scales'] as const) {
      const { file, info } = parts[t]!;
      if (info.dtype !== want[t]) throw new WeightError(`${file.path}: tensor "${info.name}" has dtype ${info.dtype}; a 4-bit AWQ ${t} must be ${want[t]}`);
    }
    const read = (t: 'qweight' | 'qzeros' | 'scales') => parts[t]!.file.readBytes(parts[t]!.info.name).buffer;
    return {
      out, in: inF, groupSize: quant.groupSize,
      qweight: new Int32Array(read('qweight')), qzeros: new Int32Array(read('qzeros')), scales: new Uint16Array(read('scales')),
    };
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
