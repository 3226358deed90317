// Will this turn fit? Weights + KV cache + the largest transient activations, against the memory the chosen backend
// has (free RAM for the CPU, the GPU's memory for CUDA). Deliberately a little pessimistic: refusing before prefill
// beats being killed by the OOM killer halfway through.
import os from 'node:os';
import type { MemoryEstimate, ModelInfo, Settings } from '../../../electron/contract.ts';
import { videoGeometry, videoTokenCount, type LlavaOnevisionConfig } from '../../core/models/llava-onevision-config.ts';
import { resolvePolicy } from '../../core/sparse/policy.ts';
import { prefillKeepCount } from '../../core/sparse/select.ts';

/** Weight values by storage (ModelInfo.weightCounts). */
export type WeightCounts = ModelInfo['weightCounts'];

/** Bytes the weights take on a backend: 16/32-bit values in its compute dtype (f32 on the CPU, 16-bit on CUDA); a
 *  4-bit value half a byte, plus per (group, column) its scale (the compute dtype) and its packed 4-bit zero. */
export function weightMemoryBytes(c: WeightCounts, backend: 'cpu' | 'cuda'): number {
  const elem = backend === 'cuda' ? 2 : 4;
  return c.dense * elem + c.q4 / 2 + c.q4Groups * (elem + 0.5);
}

export interface EstimateInput {
  config: LlavaOnevisionConfig;
  /** The model's weights: a plain parameter count (all 16/32-bit), or its counts by storage. */
  parameters: number | WeightCounts;
  settings: Settings;
  backend: 'cpu' | 'cuda';
  /** Bytes the backend can use now (free RAM, or GPU memory). */
  availableBytes: number;
  /** Tokens of prompt text and history besides the video (question, template, time instruction). */
  textTokens?: number;
  /** The engine already holds these weights (CPU: free RAM no longer includes them, so they are not asked for again). */
  weightsResident?: boolean;
}

/** Video tokens of the prompt, and how many of them the KV cache holds after prefill pruning: counted by the
 *  functions the engine itself uses (HF's placeholder count, and the pruning's keep count + the image_newline). */
export function videoTokens(config: LlavaOnevisionConfig, settings: Settings): { total: number; kept: number } {
  const { tokensPerFrame } = videoGeometry(config);
  const total = videoTokenCount(config, settings.frames);
  const plan = resolvePolicy(settings);
  if (!plan.saliency) return { total, kept: total };
  const visual = settings.frames * tokensPerFrame;
  const kept = prefillKeepCount({ frames: settings.frames, tokensPerFrame, sparsity: plan.prefillSparsity, perFrameFloor: plan.perFrameFloor });
  return { total, kept: kept + (total - visual) };
}

export function estimateMemory(input: EstimateInput): MemoryEstimate {
  const { config, settings } = input;
  const elem = input.backend === 'cuda' ? 2 : 4;
  const { grid } = videoGeometry(config);
  const frames = settings.frames;
  const { total: visualTotal, kept: visualKept } = videoTokens(config, settings);
  const textTokens = input.textTokens ?? 64 + frames * 8 + 512;
  const seq = visualKept + textTokens + settings.maxNewTokens;

  const counts = typeof input.parameters === 'number' ? { dense: input.parameters, q4: 0, q4Groups: 0 } : input.parameters;
  const weightsBytes = weightMemoryBytes(counts, input.backend);
  const t = config.text;
  const perToken = t.layers * 2 * t.kvHeads * t.headDim * elem;
  // Measuring the speedup keeps a dense session (every visual token) beside this one.
  const denseTwin = settings.measureDense && settings.policy !== 'dense' ? visualTotal + textTokens + settings.maxNewTokens : 0;
  const kvBytes = perToken * (seq + denseTwin);

  const v = config.vision;
  const patches = grid * grid;
  // Vision tower, one frame at a time: hidden states, the MLP's widest layer, and one head's attention rows.
  const visionPerFrame = patches * (v.hiddenSize * 4 + v.intermediateSize) * elem + patches * patches * 4;
  // Kept across the video: preprocessed pixels and the projected features of every frame (before pruning).
  const videoBytes = frames * 3 * v.imageSize * v.imageSize * 4 + visualTotal * t.hiddenSize * elem * 2;
  // LLM prefill over the kept sequence: residual + q/k/v/o + the MLP's two wide projections, plus the last logits row.
  const prefill = seq * (t.hiddenSize * 4 + t.intermediateSize * 2) * elem + t.vocabSize * 4;
  const activationBytes = visionPerFrame + videoBytes + prefill;

  const kvNote = denseTwin ? ' incl. the dense run for the speedup' : '';
  return memoryVerdict({
    weightsBytes, kvBytes, activationBytes, availableBytes: input.availableBytes, backend: input.backend, weightsResident: input.weightsResident,
    visualTokens: { total: visualTotal, kept: visualKept },
    kvNote,
    kvDetail: `for ${visualKept} visual tokens${kvNote}`,
    advice: `Use fewer frames (now ${frames}), a higher prefill sparsity${denseTwin ? ', turn off measuring dense' : ''}, or a smaller model.`,
  });
}

export interface VerdictInput extends Pick<MemoryEstimate, 'weightsBytes' | 'kvBytes' | 'activationBytes' | 'availableBytes' | 'visualTokens' | 'sampling'> {
  backend: 'cpu' | 'cuda';
  weightsResident?: boolean;
  /** After the KV size when it fits; after the activations (e.g. what was sampled); the KV size's detail when it does not. */
  kvNote?: string;
  fitsNote?: string;
  kvDetail: string;
  /** What to change when it does not fit. */
  advice: string;
}

/** Need (weights unless the CPU engine already holds them, KV, activations) against 90% of what is available, in words. */
export function memoryVerdict(p: VerdictInput): MemoryEstimate {
  const { weightsBytes, kvBytes, activationBytes, availableBytes } = p;
  const resident = Boolean(p.weightsResident) && p.backend === 'cpu';
  const need = (resident ? 0 : weightsBytes) + kvBytes + activationBytes;
  const fits = need <= availableBytes * 0.9;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  const where = p.backend === 'cuda' ? 'GPU memory' : 'free RAM';
  const w = resident ? `weights ${gib(weightsBytes)} already loaded` : `weights ${gib(weightsBytes)}`;
  const message = fits
    ? `About ${gib(need)} ${resident ? 'more ' : ''}needed (${w}, KV cache ${gib(kvBytes)}${p.kvNote ?? ''}, activations ${gib(activationBytes)}${p.fitsNote ?? ''}) of ${gib(availableBytes)} ${where}.`
    : `This would need about ${gib(need)} (${w}, KV cache ${gib(kvBytes)} ${p.kvDetail}, activations ${gib(activationBytes)}) but only ${gib(availableBytes)} of ${where} is available. ${p.advice}`;
  return {
    weightsBytes, kvBytes, activationBytes, availableBytes, fits, message, ...(resident ? { weightsLoaded: true } : {}),
    ...(p.visualTokens ? { visualTokens: p.visualTokens } : {}), ...(p.sampling ? { sampling: p.sampling } : {}),
  };
}

/** Memory the CPU backend can count on now. */
export function availableRam(): number {
  return os.freemem();
}
