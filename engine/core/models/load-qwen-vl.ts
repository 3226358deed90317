// A Qwen2.5-VL / Qwen3-VL folder as published (config.json with vision_config / text_config, sharded safetensors in
// either layout transformers writes) on a backend.
import { join } from 'node:path';
import type { Backend } from '../backend/backend.ts';
import { CheckpointWeights } from '../checkpoint/weights.ts';
import { parseQuantConfig } from '../checkpoint/quant-config.ts';
import { readJsonFile, readSideFiles } from '../checkpoint/load.ts';
import { parseQwenVlConfig, qwenVlFamily, type QwenVlConfig } from './qwen-vl-config.ts';
import { QwenVl, type QwenVlArchitecture } from './qwen-vl.ts';
import { QWEN25_VL } from './qwen2-5-vl.ts';
import { QWEN3_VL } from './qwen3-vl.ts';

/** The family's architecture for a parsed config. */
export function qwenVlArchitecture(cfg: QwenVlConfig): QwenVlArchitecture<QwenVlConfig> {
  return (cfg.family === 'qwen3_vl' ? QWEN3_VL : QWEN25_VL) as QwenVlArchitecture<QwenVlConfig>;
}

/** True when the folder's config.json describes Qwen2.5-VL or Qwen3-VL. */
export function isQwenVlFolder(dir: string): boolean {
  try {
    return qwenVlFamily(readJsonFile(join(dir, 'config.json'))) !== null;
  } catch {
    return false;
  }
}

export function loadQwenVl(dir: string, be: Backend): QwenVl {
  return loadQwenVlFolder(dir, be).model;
}

/** The model with the folder's tokenizer, chat template, generation and video preprocessor configs. */
export function loadQwenVlFolder(dir: string, be: Backend) {
  const raw = readJsonFile(join(dir, 'config.json'));
  const config = parseQwenVlConfig(raw);
  const quant = parseQuantConfig(raw);
  const weights = new CheckpointWeights(dir, quant);
  try {
    const model = QwenVl.load(be, weights, config, qwenVlArchitecture(config));
    return { config, model, awqGroupSize: quant?.groupSize ?? 0, ...readSideFiles(dir, config.text.vocabSize, raw) };
  } finally {
    weights.close();
  }
}
