// The Qwen2.5-VL / Qwen3-VL repos the model manager offers, with their config.json dimensions (as published on the
// Hub: text_config / vision_config) from which parameter counts and download sizes are computed (qwen-vl-size.ts).
// The counts equal the Hub's own safetensors totals: 3.75B, 8.29B (Qwen2.5-VL 3B / 7B), 2.13B, 4.44B, 8.77B
// (Qwen3-VL 2B / 4B / 8B). The -AWQ repos are AutoAWQ gemm, 4 bits, group 128, the vision tower unquantized.
import { qwenVlCheckpointSize, type AwqQuantization, type QwenVlDims } from './qwen-vl-size.ts';

const qwen25Vision = (outHidden: number): QwenVlDims['vision'] => ({ depth: 32, hidden: 1280, intermediate: 3420, outHidden, patch: 14, temporalPatch: 2, merge: 2 });
const qwen3Vision = (depth: number, hidden: number, intermediate: number, outHidden: number): QwenVlDims['vision'] => ({
  depth, hidden, intermediate, outHidden, patch: 16, temporalPatch: 2, merge: 2, positionEmbeddings: 2304, deepstackLayers: 3,
});

const QWEN25_3B: QwenVlDims = {
  family: 'qwen2.5-vl',
  text: { hidden: 2048, intermediate: 11008, layers: 36, heads: 16, kvHeads: 2, headDim: 128, vocab: 151936, tiedEmbeddings: true },
  vision: qwen25Vision(2048),
};
const QWEN25_7B: QwenVlDims = {
  family: 'qwen2.5-vl',
  text: { hidden: 3584, intermediate: 18944, layers: 28, heads: 28, kvHeads: 4, headDim: 128, vocab: 152064, tiedEmbeddings: false },
  vision: qwen25Vision(3584),
};
const QWEN3_2B: QwenVlDims = {
  family: 'qwen3-vl',
  text: { hidden: 2048, intermediate: 6144, layers: 28, heads: 16, kvHeads: 8, headDim: 128, vocab: 151936, tiedEmbeddings: true },
  vision: qwen3Vision(24, 1024, 4096, 2048),
};
const QWEN3_4B: QwenVlDims = {
  family: 'qwen3-vl',
  text: { hidden: 2560, intermediate: 9728, layers: 36, heads: 32, kvHeads: 8, headDim: 128, vocab: 151936, tiedEmbeddings: true },
  vision: qwen3Vision(24, 1024, 4096, 2560),
};
const QWEN3_8B: QwenVlDims = {
  family: 'qwen3-vl',
  text: { hidden: 4096, intermediate: 12288, layers: 36, heads: 32, kvHeads: 8, headDim: 128, vocab: 151936, tiedEmbeddings: false },
  vision: qwen3Vision(27, 1152, 4304, 4096),
};
const AWQ: AwqQuantization = { bits: 4, groupSize: 128 };

export const QWEN_VL_DIMS = { QWEN25_3B, QWEN25_7B, QWEN3_2B, QWEN3_4B, QWEN3_8B } as const;

function entry(repo: string, name: string, dims: QwenVlDims, awq: AwqQuantization | null, description: string) {
  const { parameters, bytes } = qwenVlCheckpointSize(dims, awq);
  return { repo, name, sizeBytes: bytes, parameters, family: dims.family, description };
}

const qwen25 = 'Qwen2.5-VL: window-attention ViT (14 px patches, 2x2 merge) + Qwen2.5, M-RoPE over time, height, width';
const qwen3 = 'Qwen3-VL: ViT (16 px patches, 2x2 merge, DeepStack) + Qwen3, interleaved M-RoPE, frame timestamps in the prompt';

export const QWEN_VL_CATALOG = [
  entry('Qwen/Qwen2.5-VL-3B-Instruct', 'Qwen2.5-VL 3B Instruct', QWEN25_3B, null, `${qwen25}. bf16.`),
  entry('Qwen/Qwen2.5-VL-3B-Instruct-AWQ', 'Qwen2.5-VL 3B Instruct (AWQ 4-bit)', QWEN25_3B, AWQ, `${qwen25}. Language model in 4 bits (AWQ), vision tower in 16.`),
  entry('Qwen/Qwen2.5-VL-7B-Instruct', 'Qwen2.5-VL 7B Instruct', QWEN25_7B, null, `${qwen25}. bf16; needs a GPU with about 24 GB for a minute of video at 2 fps.`),
  entry('Qwen/Qwen2.5-VL-7B-Instruct-AWQ', 'Qwen2.5-VL 7B Instruct (AWQ 4-bit)', QWEN25_7B, AWQ, `${qwen25}. Language model in 4 bits (AWQ), vision tower in 16.`),
  entry('Qwen/Qwen3-VL-2B-Instruct', 'Qwen3-VL 2B Instruct', QWEN3_2B, null, `${qwen3}. bf16; small enough for a laptop GPU.`),
  entry('Qwen/Qwen3-VL-4B-Instruct', 'Qwen3-VL 4B Instruct', QWEN3_4B, null, `${qwen3}. bf16.`),
  entry('Qwen/Qwen3-VL-8B-Instruct', 'Qwen3-VL 8B Instruct', QWEN3_8B, null, `${qwen3}. bf16.`),
];
