// Parameter counts and checkpoint bytes of Qwen2.5-VL / Qwen3-VL models from their config.json dimensions: every
// tensor transformers 5.17 saves for Qwen2_5_VLForConditionalGeneration / Qwen3VLForConditionalGeneration, so the
// model manager can state what a listed repo holds before it is downloaded. AWQ checkpoints (AutoAWQ gemm layout:
// int32 qweight [in, out/8], int32 qzeros [in/g, out/8], fp16 scales [in/g, out]) quantize the language model's
// linear layers only; the vision tower, embeddings, norms and lm_head stay 16-bit.
import { parseQwenVlConfig, type QwenVlConfig } from '../../core/models/qwen-vl-config.ts';

export interface QwenVlDims {
  family: 'qwen2.5-vl' | 'qwen3-vl';
  text: {
    hidden: number; intermediate: number; layers: number; heads: number; kvHeads: number; headDim: number; vocab: number; tiedEmbeddings: boolean;
    /** q/k/v biases (default: Qwen2.5-VL has them, Qwen3-VL not) and Qwen3's per-head q/k norms (default: Qwen3-VL). */
    attentionBias?: boolean;
    qkNorm?: boolean;
  };
  vision: {
    depth: number;
    hidden: number;
    intermediate: number;
    outHidden: number;
    patch: number;
    temporalPatch: number;
    merge: number;
    /** Qwen3-VL: learned position embeddings and the DeepStack mergers. */
    positionEmbeddings?: number;
    deepstackLayers?: number;
  };
}

export interface AwqQuantization {
  bits: 4;
  groupSize: number;
}

interface Count {
  parameters: number;
  bytes: number;
}

function linear(out: number, inp: number, bias: boolean, awq: AwqQuantization | null): Count {
  const parameters = out * inp + (bias ? out : 0);
  if (!awq) return { parameters, bytes: parameters * 2 };
  if (inp % awq.groupSize || out % 8) throw new Error(`a ${out}x${inp} linear does not fit AWQ groups of ${awq.groupSize}`);
  const groups = inp / awq.groupSize;
  const bytes = (inp * out) / 2 + groups * (out / 8) * 4 + groups * out * 2 + (bias ? out * 2 : 0);
  return { parameters, bytes };
}

function sum(parts: Count[]): Count {
  return parts.reduce((a, b) => ({ parameters: a.parameters + b.parameters, bytes: a.bytes + b.bytes }), { parameters: 0, bytes: 0 });
}

const plain = (n: number): Count => ({ parameters: n, bytes: n * 2 });

function textModel(d: QwenVlDims, awq: AwqQuantization | null): Count {
  const t = d.text;
  const q = t.heads * t.headDim;
  const kv = t.kvHeads * t.headDim;
  const bias = t.attentionBias ?? d.family === 'qwen2.5-vl';
  const qkNorm = t.qkNorm ?? d.family === 'qwen3-vl';
  const layer = sum([
    linear(q, t.hidden, bias, awq),
    linear(kv, t.hidden, bias, awq),
    linear(kv, t.hidden, bias, awq),
    linear(t.hidden, q, false, awq),
    linear(t.intermediate, t.hidden, false, awq),
    linear(t.intermediate, t.hidden, false, awq),
    linear(t.hidden, t.intermediate, false, awq),
    plain(2 * t.hidden + (qkNorm ? 2 * t.headDim : 0)), // the two RMSNorms (+ Qwen3's q_norm / k_norm)
  ]);
  const embed = plain(t.vocab * t.hidden);
  return sum([embed, ...Array<Count>(t.layers).fill(layer), plain(t.hidden), t.tiedEmbeddings ? plain(0) : embed]);
}

function visionTower(d: QwenVlDims): number {
  const v = d.vision;
  const h = v.hidden;
  const merged = h * v.merge * v.merge;
  const out = v.outHidden;
  const patchIn = 3 * v.temporalPatch * v.patch * v.patch;
  const attention = 3 * h * h + 3 * h + h * h + h;
  if (d.family === 'qwen2.5-vl') {
    // RMSNorms (weight only), SwiGLU MLP with biases; patch embedding without bias; merger: ln_q + 2-layer MLP.
    const block = 2 * h + attention + 2 * (v.intermediate * h + v.intermediate) + h * v.intermediate + h;
    return patchIn * h + v.depth * block + h + merged * merged + merged + out * merged + out;
  }
  // LayerNorms (weight + bias), GELU MLP; patch embedding with bias; learned positions; the merger normalizes before
  // the shuffle (over h), each DeepStack merger after it (over h * merge^2).
  const block = 4 * h + attention + v.intermediate * h + v.intermediate + h * v.intermediate + h;
  const mergerMlp = merged * merged + merged + out * merged + out;
  const deepstack = (v.deepstackLayers ?? 0) * (2 * merged + mergerMlp);
  return patchIn * h + h + (v.positionEmbeddings ?? 0) * h + v.depth * block + 2 * h + mergerMlp + deepstack;
}

/** Parameters (unquantized count) and bytes of the safetensors tensors (16-bit, or AWQ for the language model). */
export function qwenVlCheckpointSize(d: QwenVlDims, awq: AwqQuantization | null = null): Count {
  const vision = visionTower(d);
  const text = textModel(d, awq);
  return { parameters: vision + text.parameters, bytes: vision * 2 + text.bytes };
}

/** The dimensions of a parsed Qwen2.5-VL / Qwen3-VL config (the engine's own parser: flat hub configs, defaults). */
export function qwenVlDims(c: QwenVlConfig): QwenVlDims {
  const t = c.text;
  const v = c.vision;
  return {
    family: c.family === 'qwen3_vl' ? 'qwen3-vl' : 'qwen2.5-vl',
    text: {
      hidden: t.hiddenSize, intermediate: t.intermediateSize, layers: t.layers, heads: t.heads, kvHeads: t.kvHeads, headDim: t.headDim,
      vocab: t.vocabSize, tiedEmbeddings: t.tieWordEmbeddings, attentionBias: t.attentionBias, qkNorm: t.qkNorm,
    },
    vision: {
      depth: v.depth, hidden: v.hiddenSize, intermediate: v.intermediateSize, outHidden: v.outHiddenSize, patch: v.patchSize,
      temporalPatch: v.temporalPatchSize, merge: v.mergeSize,
      ...(c.family === 'qwen3_vl' ? { positionEmbeddings: c.vision.positionGrid ** 2, deepstackLayers: c.vision.deepstackLayers.length } : {}),
    },
  };
}

/** qwenVlDims of a config.json as read from disk. */
export function qwenVlDimsOf(raw: Record<string, unknown>): QwenVlDims {
  return qwenVlDims(parseQwenVlConfig(raw));
}
