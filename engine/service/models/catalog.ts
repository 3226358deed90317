// Models the manager offers to download. Sizes are the hub's totals for the safetensors + config files (approximate;
// the download itself reports exact sizes from the hub's file list); the Qwen-VL ones are computed from their configs.
import type { CallRes } from '../../../electron/contract.ts';
import { QWEN_VL_CATALOG } from './qwen-vl-catalog.ts';

export const MODEL_CATALOG: CallRes<'models.catalog'> = [
  {
    repo: 'llava-hf/llava-onevision-qwen2-0.5b-ov-hf',
    name: 'LLaVA-OneVision 0.5B (OV)',
    sizeBytes: 1.8e9,
    description: 'SigLIP-so400m + Qwen2-0.5B. Small enough for a CPU; 196 tokens per frame.',
  },
  {
    repo: 'llava-hf/llava-onevision-qwen2-7b-ov-hf',
    name: 'LLaVA-OneVision 7B (OV)',
    sizeBytes: 16.1e9,
    description: 'SigLIP-so400m + Qwen2-7B. Needs a GPU with about 20 GB for 32 frames.',
  },
  {
    repo: 'llava-hf/LLaVA-Video-7B-Qwen2-hf',
    name: 'LLaVA-Video 7B',
    sizeBytes: 16.1e9,
    description: 'LLaVA-OneVision architecture fine-tuned on video (LLaVA-Video-178K); 64 frames recommended.',
  },
  ...QWEN_VL_CATALOG,
];
