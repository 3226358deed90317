// loadModel: a model folder (or synthetic weights at a preset geometry) on a backend, ready for sessions.
import type { Backend } from '../backend/backend.ts';
import { createBackend, type BackendChoice } from '../backend/create-backend.ts';
export type { BackendChoice } from '../backend/create-backend.ts';
import type { KernelConfig } from '../backend/cuda/kernel-config.ts';
import { parseConfig, type LlavaOnevisionConfig } from './llava-onevision-config.ts';
import { loadCheckpoint, type GenerationConfig } from '../checkpoint/load.ts';
import { ChatTemplate, QWEN2_CHATML_TEMPLATE, QWEN_VL_CHAT_TEMPLATE, TextTokenizer } from '../tokenizer/tokenizer.ts';
import { buildByteBpeTokenizer } from '../tokenizer/byte-bpe.ts';
import { LlavaOnevision } from './llava-onevision.ts';
import { presetConfig, PRESETS, type PresetName } from './presets.ts';
import { awqGroupSize, DeviceSyntheticWeights, SyntheticWeights, type SyntheticBits } from './synthetic.ts';
import { tensorLayout } from './llava-onevision.ts';
import { totalmem } from 'node:os';
import type { QwenVlConfig } from './qwen-vl-config.ts';
import { isQwenVlFolder, loadQwenVlFolder, qwenVlArchitecture } from './load-qwen-vl.ts';
import { isQwenPreset, qwenPresetConfig, QWEN_PRESETS, QWEN_VL_SPECIAL_TOKENS, type QwenPresetName } from './qwen-presets.ts';
import { parseQwenVlConfig } from './qwen-vl-config.ts';
import { QwenVl } from './qwen-vl.ts';
import { qwenVlTensorLayout } from './qwen-vl-layout.ts';
import { DEFAULT_SMOOTH_ALPHA, defaultVisionCalibration, VISION_PRECISIONS, type Vision8Options, type VisionPrecision } from './siglip-w8.ts';

/** Names of models loaded with 8-bit vision say so (bench and eval outputs carry the name). */
const vision8Suffix = (opts: LoadModelOptions) => (opts.visionPrecision === '8bit' ? '-vision8' : '');

/** LoadModelOptions' 8-bit vision settings for a LLaVA-OneVision model (undefined: 16-bit vision). */
function vision8Options(opts: LoadModelOptions, dir: string | null, imageSize: number): Vision8Options | undefined {
  const p = opts.visionPrecision ?? '16bit';
  if (!VISION_PRECISIONS.includes(p)) throw new Error(`vision precision must be ${VISION_PRECISIONS.join(' or ')}, got ${String(p)}`);
  if (p === '16bit') return undefined;
  const calib = opts.visionCalibration ?? defaultVisionCalibration(dir, imageSize);
  return { ...calib, alpha: opts.visionSmoothAlpha === undefined ? DEFAULT_SMOOTH_ALPHA : opts.visionSmoothAlpha };
}

export interface LoadModelOptions {
  backend?: BackendChoice;
  /** Random weights at a preset geometry instead of a folder (dir is then ignored); Qwen-VL presets through loadVlm. */
  synthetic?: PresetName | QwenPresetName;
  /** Synthetic weights: 16-bit everywhere (default), or 4-bit AWQ layers for the language model's decoder linears. */
  syntheticBits?: SyntheticBits;
  seed?: number;
  threads?: number;
  /** CUDA kernel choices (engine/core/backend/cuda/kernel-config.ts). */
  kernels?: Partial<KernelConfig>;
  /** The vision tower's linears: '16bit' (default: the checkpoint's dtype, f32 on the CPU) or '8bit' (W8A8 with
   *  SmoothQuant, siglip-w8.ts; LLaVA-OneVision's SigLIP tower, CPU backend). */
  visionPrecision?: VisionPrecision;
  /** 8-bit vision: preprocessed calibration frames (e.g. from the user's video); default: synthetic-world frames. */
  visionCalibration?: { pixels: Float32Array; frames: number };
  /** 8-bit vision: SmoothQuant α, or null for no smoothing (default DEFAULT_SMOOTH_ALPHA). */
  visionSmoothAlpha?: number | null;
}

interface LoadedCommon {
  name: string;
  dir: string | null;
  backend: Backend;
  tokenizer: TextTokenizer | null;
  chatTemplate: ChatTemplate;
  generation: GenerationConfig;
  preprocessor: Record<string, unknown> | null;
  /** The group size of the language model's 4-bit (AWQ) decoder linears; 0 when they are 16-bit. */
  awqGroupSize: number;
  /** The vision tower's precision (absent: 16bit). */
  visionPrecision?: VisionPrecision;
  loadMs: number;
  dispose(): void;
}
/** A loaded LLaVA-OneVision / LLaVA-Video model (what loadModel returns). */
export interface LoadedModel extends LoadedCommon {
  kind?: 'llava-onevision';
  config: LlavaOnevisionConfig;
  model: LlavaOnevision;
}
/** A loaded Qwen2.5-VL / Qwen3-VL model. */
export interface LoadedQwenVl extends LoadedCommon {
  kind: 'qwen-vl';
  config: QwenVlConfig;
  model: QwenVl;
}
/** Any model the chat loop runs (loadVlm). */
export type LoadedVlm = LoadedModel | LoadedQwenVl;

/** Bytes the weights take on a backend (f32 on CPU, 2 bytes per value on CUDA); with `awqGroupSize`, the language
 *  model's decoder linears are 4-bit (half a byte per value, plus a float scale and a 4-bit zero per group). */
export function weightBytes(config: LlavaOnevisionConfig | QwenVlConfig, backend: Backend, awqGroupSize?: number): number {
  const per = backend.name === 'cpu' ? 4 : 2;
  return ('family' in config ? qwenVlTensorLayout(config) : tensorLayout(config)).reduce((a, t) => {
    const n = t.shape.reduce((x, y) => x * y, 1);
    return a + (awqGroupSize && t.linear?.awq === 'required' ? n * (0.5 + 4.5 / awqGroupSize) : n * per);
  }, 0);
}

function checkFits(config: LlavaOnevisionConfig | QwenVlConfig, backend: Backend, awqGroupSize?: number): void {
  if (backend.name !== 'cpu') return;
  const need = weightBytes(config, backend, awqGroupSize);
  if (need > totalmem() * 0.85) {
    throw new Error(`this model needs ${(need / 2 ** 30).toFixed(1)} GiB of RAM on the CPU backend (float32${awqGroupSize ? ', 4-bit language-model linears' : ''}); this machine has `
      + `${(totalmem() / 2 ** 30).toFixed(1)} GiB. Use a GPU (--backend cuda) or a smaller model.`);
  }
}

export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const t0 = performance.now();
  if (opts.synthetic && isQwenPreset(opts.synthetic)) throw new Error(`synthetic preset "${opts.synthetic}" is a Qwen-VL model: load it with loadVlm`);
  const backend = await createBackend(opts.backend ?? 'auto', { threads: opts.threads, kernels: opts.kernels });
  if (opts.synthetic) {
    if (!PRESETS.includes(opts.synthetic)) throw new Error(`unknown synthetic preset "${opts.synthetic}" (known: ${[...PRESETS, ...QWEN_PRESETS].join(', ')})`);
    const config = parseConfig(presetConfig(opts.synthetic));
    checkFits(config, backend, opts.syntheticBits === 4 ? awqGroupSize(config) : undefined);
    // On the GPU the weights are drawn on the device (7B in < 1 s instead of minutes of JS fills and uploads).
    const bits = opts.syntheticBits ?? 16;
    const src = backend.name === 'cuda' ? new DeviceSyntheticWeights(config, opts.seed ?? 0, bits) : new SyntheticWeights(config, opts.seed ?? 0, 'f32', bits);
    const model = LlavaOnevision.load(backend, src, config, vision8Options(opts, null, config.vision.imageSize));
    return {
      // A byte-level tokenizer with Qwen2's special-token ids, so prompts work at real vocabulary size.
      name: `synthetic-${opts.synthetic}${bits === 4 ? '-awq4' : ''}${vision8Suffix(opts)}`, dir: null, config, backend, model,
      tokenizer: TextTokenizer.fromJson(buildByteBpeTokenizer({
        '<|endoftext|>': 151643, '<|im_start|>': 151644, '<|im_end|>': 151645, '<image>': 151646, '<video>': 151647,
      }).json),
      chatTemplate: new ChatTemplate(QWEN2_CHATML_TEMPLATE),
      generation: { eosTokenIds: [151645, 151643] }, preprocessor: null, awqGroupSize: bits === 4 ? awqGroupSize(config) : 0,
      visionPrecision: opts.visionPrecision ?? '16bit', loadMs: performance.now() - t0, dispose() {},
    };
  }
  const name = folderName(dir);
  if (isQwenVlFolder(dir)) throw new Error(`${dir} is a Qwen-VL model: this path runs LLaVA-OneVision models (the chat loop loads both)`);
  const ck = loadCheckpoint(dir);
  try {
    checkFits(ck.config, backend, ck.quant?.groupSize);
    const model = LlavaOnevision.load(backend, ck.weights, ck.config, vision8Options(opts, dir, ck.config.vision.imageSize));
    return {
      name: `${name}${vision8Suffix(opts)}`, dir, config: ck.config, backend, model,
      tokenizer: ck.tokenizer, chatTemplate: ck.chatTemplate ?? new ChatTemplate(QWEN2_CHATML_TEMPLATE),
      generation: ck.generation, preprocessor: ck.preprocessor, awqGroupSize: ck.quant?.groupSize ?? 0,
      visionPrecision: opts.visionPrecision ?? '16bit', loadMs: performance.now() - t0, dispose() {},
    };
  } finally {
    ck.weights.close();
  }
}

const folderName = (dir: string) => dir.replace(/\/+$/, '').split(/[\\/]/).pop() ?? dir;

/** A model folder of any family the chat loop runs: Qwen2.5-VL / Qwen3-VL folders, else as loadModel. */
export async function loadVlm(dir: string, opts: LoadModelOptions = {}): Promise<LoadedVlm> {
  const qwen = opts.synthetic ? isQwenPreset(opts.synthetic) : isQwenVlFolder(dir);
  if (qwen && (opts.visionPrecision ?? '16bit') !== '16bit') {
    throw new Error('8-bit vision is implemented for LLaVA-OneVision\'s SigLIP tower only; Qwen-VL models run 16-bit vision');
  }
  if (opts.synthetic && isQwenPreset(opts.synthetic)) return loadSyntheticQwenVl(opts.synthetic, opts);
  if (opts.synthetic || !isQwenVlFolder(dir)) return loadModel(dir, opts);
  const t0 = performance.now();
  const backend = await createBackend(opts.backend ?? 'auto', { threads: opts.threads, kernels: opts.kernels });
  const q = loadQwenVlFolder(dir, backend);
  return {
    kind: 'qwen-vl', name: folderName(dir), dir, config: q.config, backend, model: q.model, tokenizer: q.tokenizer,
    chatTemplate: q.chatTemplate ?? new ChatTemplate(QWEN2_CHATML_TEMPLATE), generation: q.generation,
    preprocessor: q.preprocessor, awqGroupSize: q.awqGroupSize, loadMs: performance.now() - t0, dispose() {},
  };
}

/** A Qwen-VL preset with random weights (drawn on the device on CUDA), a byte-level tokenizer with the published
 *  special-token ids and the family's chat template: the chat loop and `sparsevila bench` at real geometry. */
async function loadSyntheticQwenVl(preset: QwenPresetName, opts: LoadModelOptions): Promise<LoadedQwenVl> {
  const t0 = performance.now();
  if (opts.syntheticBits === 4) throw new Error('4-bit synthetic weights are implemented for the LLaVA presets only');
  const backend = await createBackend(opts.backend ?? 'auto', { threads: opts.threads, kernels: opts.kernels });
  const config = parseQwenVlConfig(qwenPresetConfig(preset));
  checkFits(config, backend);
  const src = backend.name === 'cuda' ? new DeviceSyntheticWeights(config, opts.seed ?? 0) : new SyntheticWeights(config, opts.seed ?? 0, 'f32');
  const model = QwenVl.load(backend, src, config, qwenVlArchitecture(config));
  return {
    kind: 'qwen-vl', name: `synthetic-${preset}`, dir: null, config, backend, model,
    tokenizer: TextTokenizer.fromJson(buildByteBpeTokenizer(QWEN_VL_SPECIAL_TOKENS, QWEN_VL_SPECIAL_TOKENS).json),
    chatTemplate: new ChatTemplate(QWEN_VL_CHAT_TEMPLATE),
    generation: { eosTokenIds: [QWEN_VL_SPECIAL_TOKENS['<|im_end|>'], QWEN_VL_SPECIAL_TOKENS['<|endoftext|>']] }, preprocessor: null, awqGroupSize: 0,
    loadMs: performance.now() - t0, dispose() {},
  };
}
