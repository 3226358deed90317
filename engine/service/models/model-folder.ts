// Validates a Hugging Face model folder through the engine's checkpoint loader and describes it for the model list.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { ModelInfo } from '../../../electron/contract.ts';
import { loadCheckpoint } from '../../core/checkpoint/load.ts';
import { videoGeometry, type LlavaOnevisionConfig } from '../../core/models/llava-onevision-config.ts';
import { SafetensorsFile, ST_DTYPE_BYTES } from '../../core/checkpoint/safetensors.ts';
import { readJsonFile } from '../../core/checkpoint/load.ts';
import { isQwenVlFolder } from '../../core/models/load-qwen-vl.ts';
import { parseQwenVlConfig, type QwenVlConfig } from '../../core/models/qwen-vl-config.ts';
import { modelVideoInfo } from '../video-preprocess.ts';
import { weightMemoryBytes, type WeightCounts } from './memory-estimate.ts';

/** A usable model folder: LLaVA-OneVision (fixed frames) or Qwen2.5-VL / Qwen3-VL (rate sampling, info.video set). */
export type ModelFolderFacts =
  | { kind: 'llava'; info: ModelInfo; config: LlavaOnevisionConfig; weightsBytes: number }
  | { kind: 'qwen-vl'; info: ModelInfo; config: QwenVlConfig; weightsBytes: number };

export class ModelFolderError extends Error {
  override name = 'ModelFolderError';
}

export function modelIdFor(source: ModelInfo['source'], dir: string): string {
  return `${source}-${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16)}`;
}

export interface DescribeOptions {
  name?: string;
  description?: string;
  /** The folder the model's id is derived from (default `dir`): a hub cache repo folder keeps its id across revisions. */
  idFolder?: string;
}

/** Throws ModelFolderError with the loader's message when the folder is not a usable model. */
export function describeModelFolder(dir: string, source: ModelInfo['source'], opts: DescribeOptions = {}): ModelFolderFacts {
  if (isQwenVlFolder(dir)) return describeQwenVlFolder(dir, source, opts);
  const { name, description } = opts;
  let ckpt;
  try {
    ckpt = loadCheckpoint(dir);
  } catch (err) {
    throw new ModelFolderError((err as Error).message);
  }
  try {
    if (!ckpt.tokenizer) throw new ModelFolderError(`${dir}: tokenizer.json is missing; chatting needs the model's tokenizer`);
    const w = weightFacts(dir, ckpt.rawConfig, ckpt.quant !== null);
    return {
      kind: 'llava',
      config: ckpt.config,
      weightsBytes: w.weightsBytes,
      info: {
        id: modelIdFor(source, opts.idFolder ?? dir),
        name: name ?? path.basename(path.resolve(dir)),
        path: path.resolve(dir),
        architecture: String(ckpt.rawConfig.architectures instanceof Array ? ckpt.rawConfig.architectures[0] : ckpt.config.modelType),
        source,
        ...w.info,
        tokensPerFrame: videoGeometry(ckpt.config).tokensPerFrame,
        description: description ?? `${ckpt.config.text.layers}-layer ${ckpt.config.modelType} (${w.summary})`,
      },
    };
  } finally {
    ckpt.weights.close();
  }
}

/** A Qwen2.5-VL / Qwen3-VL folder: its config (the engine's parser), tokenizer, weights and video processor. */
function describeQwenVlFolder(dir: string, source: ModelInfo['source'], opts: DescribeOptions): ModelFolderFacts {
  let raw: Record<string, unknown>;
  let config: QwenVlConfig;
  let video: ModelInfo['video'];
  try {
    raw = readJsonFile(path.join(dir, 'config.json'));
    config = parseQwenVlConfig(raw);
    video = modelVideoInfo(dir, config.family === 'qwen3_vl' ? 'qwen3_vl' : 'qwen2_5_vl');
  } catch (err) {
    throw new ModelFolderError(`${dir}: ${(err as Error).message}`);
  }
  const v = config.vision;
  for (const [what, proc, tower] of [['patch_size', video?.patchSize, v.patchSize], ['merge_size', video?.mergeSize, v.mergeSize], ['temporal_patch_size', video?.temporalPatchSize, v.temporalPatchSize]] as const) {
    if (proc !== tower) throw new ModelFolderError(`${dir}: the video processor's ${what} ${proc} differs from vision_config's ${tower}`);
  }
  if (!existsSync(path.join(dir, 'tokenizer.json'))) throw new ModelFolderError(`${dir}: tokenizer.json is missing; chatting needs the model's tokenizer`);
  const w = weightFacts(dir, raw, null);
  if (w.info.parameters === 0) throw new ModelFolderError(`${dir}: no .safetensors weights`);
  const family = config.family === 'qwen3_vl' ? 'Qwen3-VL' : 'Qwen2.5-VL';
  return {
    kind: 'qwen-vl',
    config,
    weightsBytes: w.weightsBytes,
    info: {
      id: modelIdFor(source, opts.idFolder ?? dir),
      name: opts.name ?? path.basename(path.resolve(dir)),
      path: path.resolve(dir),
      architecture: String(Array.isArray(raw.architectures) ? raw.architectures[0] : config.family),
      source,
      ...w.info,
      // Tokens per frame depend on the video (rate sampling, pixel budget): see info.video.
      tokensPerFrame: 0,
      description: opts.description ?? `${config.text.layers}-layer ${family} (${w.summary})`,
      video,
    },
  };
}

/** What the weights are, for any family: counts, dtype, precision, sizes on disk and on the GPU, and a summary.
 *  quantized: the loader's verdict, or null to go by 4-bit tensors found in the files. */
function weightFacts(dir: string, raw: Record<string, unknown>, quantized: boolean | null) {
  const { parameters, weightsBytes, dtype, counts } = countWeights(dir);
  const precision = modelPrecision(raw, quantized ?? counts.q4 > 0, dtype);
  return {
    weightsBytes,
    info: { parameters, dtype, precision, weightCounts: counts, diskBytes: folderBytes(dir), gpuBytes: weightMemoryBytes(counts, 'cuda') },
    summary: `${formatParams(parameters)} parameters, ${precision === '4-bit' ? `4-bit language model, ${dtype} elsewhere` : dtype}`,
  };
}

function shardFiles(dir: string): string[] {
  if (existsSync(path.join(dir, 'model.safetensors'))) return [path.join(dir, 'model.safetensors')];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Parameters (a 4-bit linear counts its logical [out, in] weights, not its packed words), bytes on disk by dtype,
 *  and the values by storage (engine/service/models/memory-estimate.ts prices them per backend). */
function countWeights(dir: string): { parameters: number; weightsBytes: number; dtype: string; counts: WeightCounts } {
  const counts: WeightCounts = { dense: 0, q4: 0, q4Groups: 0 };
  let weightsBytes = 0;
  const bytesByDtype = new Map<string, number>();
  for (const file of shardFiles(dir)) {
    const st = new SafetensorsFile(file);
    try {
      for (const t of st.tensors.values()) {
        const n = t.shape.reduce((a, b) => a * b, 1);
        const bytes = n * (ST_DTYPE_BYTES[t.dtype] ?? 4);
        weightsBytes += bytes;
        if (t.name.endsWith('.qweight')) counts.q4 += n * 8;
        else if (t.name.endsWith('.scales') && st.tensors.has(`${t.name.slice(0, -'.scales'.length)}.qweight`)) counts.q4Groups += n;
        else if (!t.name.endsWith('.qzeros')) {
          counts.dense += n;
          bytesByDtype.set(t.dtype, (bytesByDtype.get(t.dtype) ?? 0) + bytes);
        }
      }
    } finally {
      st.close();
    }
  }
  const dtype = [...bytesByDtype.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]?.toLowerCase() ?? 'unknown';
  return { parameters: counts.dense + counts.q4, weightsBytes, dtype, counts };
}

const TORCH_DTYPES: Record<string, ModelInfo['precision']> = { bfloat16: 'bf16', float16: 'f16', float32: 'f32', bf16: 'bf16', f16: 'f16', f32: 'f32' };

/** 4-bit for an AWQ checkpoint; else config.json's dtype (torch_dtype in older files), else the weights' own. */
export function modelPrecision(raw: Record<string, unknown>, quantized: boolean, fileDtype: string): ModelInfo['precision'] {
  if (quantized) return '4-bit';
  const text = (raw.text_config ?? {}) as Record<string, unknown>;
  for (const v of [raw.dtype, raw.torch_dtype, text.dtype, text.torch_dtype]) {
    if (typeof v === 'string' && TORCH_DTYPES[v]) return TORCH_DTYPES[v];
  }
  return TORCH_DTYPES[fileDtype] ?? 'f32';
}

/** The folder's files (symbolic links, as in the Hugging Face cache, counted by what they point to). */
function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((a, f) => {
    const st = statSync(path.join(dir, f));
    return st.isFile() ? a + st.size : a;
  }, 0);
}

function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e3).toFixed(0)}K`;
}
