// A small random LLaVA-OneVision (the 'small' preset geometry, 512-token vocabulary) on the CPU backend, with weights
// scaled up so attention is peaked enough for pruning and retrieval to change outputs.
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import type { HostTensorData } from '../../../engine/core/backend/backend.ts';
import { parseConfig } from '../../../engine/core/models/llava-onevision-config.ts';
import type { WeightSource } from '../../../engine/core/checkpoint/weights.ts';
import { LlavaOnevision } from '../../../engine/core/models/llava-onevision.ts';
import type { LoadedModel } from '../../../engine/core/models/load-model.ts';
import { ChatTemplate, QWEN2_CHATML_TEMPLATE } from '../../../engine/core/tokenizer/tokenizer.ts';
import { presetConfig } from '../../../engine/core/models/presets.ts';
import { SyntheticWeights } from '../../../engine/core/models/synthetic.ts';

export const VIDEO_ID = 511;

class Scaled implements WeightSource {
  constructor(private inner: WeightSource, private factor: number) {}
  has(name: string): boolean { return this.inner.has(name); }
  get(name: string, shape?: readonly number[]): HostTensorData {
    const t = this.inner.get(name, shape);
    const f = new Float32Array(t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.byteLength));
    const constant = f.every((v) => v === f[0]);
    if (!constant) for (let i = 0; i < f.length; i++) f[i] *= this.factor;
    return { ...t, bytes: new Uint8Array(f.buffer) };
  }
  close(): void { this.inner.close(); }
}

export function smallModel(seed = 1, factor = 8): LlavaOnevision {
  const config = parseConfig(presetConfig('small', { vocabSize: 512, imageTokenId: 510, videoTokenId: VIDEO_ID, eosTokenId: 1, padTokenId: 0 }));
  const be = new CpuBackend({ threads: 1 });
  return LlavaOnevision.load(be, new Scaled(new SyntheticWeights(config, seed, 'f32'), factor), config);
}

/** Deterministic pixels in [-1, 1] for `frames` frames of the model's image size. */
export function pixels(model: LlavaOnevision, frames: number, seed: number): Float32Array {
  const v = model.config.vision;
  const out = new Float32Array(frames * v.channels * v.imageSize * v.imageSize);
  let a = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    a ^= a << 13; a >>>= 0; a ^= a >>> 17; a ^= a << 5; a >>>= 0;
    out[i] = (a / 4294967296) * 2 - 1;
  }
  return out;
}

/** [text..., video placeholders (frames·pooled² + 1), text...] */
export function prefixIds(frames: number, tokensPerFrame: number): Int32Array {
  const head = [3, 17, 42, 99];
  const tail = [7, 250, 13];
  return Int32Array.from([...head, ...new Array(frames * tokensPerFrame + 1).fill(VIDEO_ID), ...tail]);
}

/** The model as loadModel returns it (no tokenizer: sessions on it take token ids, like the bench's). */
export function asLoaded(model: LlavaOnevision): LoadedModel {
  return {
    name: 'tiny-scaled', dir: null, config: model.config, backend: model.be, model, tokenizer: null,
    chatTemplate: new ChatTemplate(QWEN2_CHATML_TEMPLATE), generation: { eosTokenIds: [1] }, preprocessor: null,
    awqGroupSize: 0, loadMs: 0, dispose() {},
  };
}
