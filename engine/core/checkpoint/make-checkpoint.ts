// Writes a random-weight LlavaOnevisionForConditionalGeneration folder in the real HF layout (transformers 5
// save_pretrained tensor names, config.json, tokenizer files, generation/preprocessor configs), optionally a 4-bit
// AutoAWQ one (the language model's decoder linears as qweight / qzeros / scales, quantization_config in config.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../models/llava-onevision-config.ts';
import { writeSafetensors, type TensorToWrite } from './safetensors.ts';
import { f32ToBf16, f32ToF16 } from '../backend/dtype.ts';
import { tensorLayout } from '../models/llava-onevision.ts';
import { presetConfig, type PresetName } from '../models/presets.ts';
import { awqGroupSize, fillTensor, randomAwq } from '../models/synthetic.ts';
import { keptUnquantized, transformersModuleName } from './quant-config.ts';
import { buildByteBpeTokenizer } from '../tokenizer/byte-bpe.ts';
import { QWEN2_CHATML_TEMPLATE } from '../tokenizer/tokenizer.ts';

export interface MakeCheckpointOptions {
  preset?: PresetName;
  seed?: number;
  shards?: number;
  dtype?: 'f32' | 'f16' | 'bf16';
  /** Weight scale (uniform, this standard deviation); larger makes random logits less flat. */
  std?: number;
  /** Write the hub layout (vision_tower.vision_model.*) instead of transformers 5.17's flattened vision_tower.*. */
  hubLayout?: boolean;
  /** 'awq4': the language model's decoder linears as random 4-bit AutoAWQ layers (group 128, or less for small presets). */
  weights?: '16bit' | 'awq4';
  /** With 'awq4': quantization_config.modules_to_not_convert (those linears stay 16-bit). */
  keepModules?: string[];
}

/** Canonical name -> the name transformers 5.17's save_pretrained writes (checked on the GPU machine: hub-style
 *  language_model.model.* / language_model.lm_head.weight, with the SigLIP tower flattened to vision_tower.*),
 *  or the llava-hf hub layout (vision_tower.vision_model.*). */
export function hfName(canonical: string, hubLayout = false): string {
  if (canonical.startsWith('language_model.')) return canonical.replace(/^language_model\./, 'language_model.model.');
  if (canonical === 'lm_head.weight') return 'language_model.lm_head.weight';
  if (!hubLayout) return canonical.replace(/^vision_tower\.vision_model\./, 'vision_tower.');
  return canonical;
}

function hash(s: string, seed: number): number {
  let h = (0x9e3779b1 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h || 1;
}

export function makeCheckpoint(dir: string, opts: MakeCheckpointOptions = {}): { files: string[]; tensors: number; bytes: number } {
  const preset = opts.preset ?? 'tiny';
  const seed = opts.seed ?? 0;
  const shards = Math.max(1, opts.shards ?? 1);
  const dtype = opts.dtype ?? 'f32';
  const tok = buildByteBpeTokenizer();
  const realVocab = preset === '0.5b' || preset === '7b';
  const raw = presetConfig(preset, realVocab ? undefined : {
    vocabSize: tok.vocabSize, imageTokenId: tok.ids['<image>'], videoTokenId: tok.ids['<video>'],
    eosTokenId: tok.ids['<|im_end|>'], padTokenId: tok.ids['<|endoftext|>'], bosTokenId: tok.ids['<|endoftext|>'],
  });
  const cfg = parseConfig(raw);
  mkdirSync(dir, { recursive: true });
  const specs = tensorLayout(cfg, { allVisionLayers: true });
  const tensors: Record<string, TensorToWrite>[] = Array.from({ length: shards }, () => ({}));
  const stName = dtype === 'f32' ? 'F32' : dtype === 'f16' ? 'F16' : 'BF16';
  let bytes = 0;
  const awq = opts.weights === 'awq4' ? { groupSize: awqGroupSize(cfg), keep: opts.keepModules ?? [] } : null;
  specs.forEach((s, i) => {
    const shard = tensors[Math.floor((i * shards) / specs.length)];
    const m = s.linear?.module;
    if (awq && m && s.linear!.awq === 'required' && !keptUnquantized([m, transformersModuleName(m), hfName(m)], awq.keep)) {
      const p = randomAwq(s.shape[0], s.shape[1], awq.groupSize, hash(s.name, seed), opts.std ?? 0.02);
      const g = p.in / p.groupSize;
      shard[hfName(`${m}.qweight`)] = { dtype: 'I32', shape: [p.in, p.out / 8], data: p.qweight };
      shard[hfName(`${m}.qzeros`)] = { dtype: 'I32', shape: [g, p.out / 8], data: p.qzeros };
      shard[hfName(`${m}.scales`)] = { dtype: 'F16', shape: [g, p.out], data: p.scales };
      bytes += p.qweight.byteLength + p.qzeros.byteLength + p.scales.byteLength;
      return;
    }
    const f = new Float32Array(s.shape.reduce((a, x) => a * x, 1));
    fillTensor(f, s.init, hash(s.name, seed), opts.std ?? 0.02);
    const data = dtype === 'f32' ? f : dtype === 'f16' ? f32ToF16(f) : f32ToBf16(f);
    bytes += data.byteLength;
    shard[hfName(s.name, opts.hubLayout)] = { dtype: stName, shape: s.shape, data };
  });
  const files: string[] = [];
  if (shards === 1) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors[0], { format: 'pt' });
    files.push('model.safetensors');
  } else {
    const weightMap: Record<string, string> = {};
    tensors.forEach((t, i) => {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      writeSafetensors(join(dir, name), t, { format: 'pt' });
      for (const k of Object.keys(t)) weightMap[k] = name;
      files.push(name);
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: bytes }, weight_map: weightMap }, null, 2));
    files.push('model.safetensors.index.json');
  }
  const json = (name: string, v: unknown) => { writeFileSync(join(dir, name), JSON.stringify(v, null, 2) + '\n'); files.push(name); };
  json('config.json', {
    ...raw, torch_dtype: dtype === 'f32' ? 'float32' : dtype === 'f16' ? 'float16' : 'bfloat16',
    ...(awq ? { quantization_config: {
      quant_method: 'awq', bits: 4, group_size: awq.groupSize, zero_point: true, version: 'gemm', modules_to_not_convert: awq.keep,
    } } : {}),
  });
  if (!realVocab) {
    json('tokenizer.json', tok.json);
    json('tokenizer_config.json', {
      tokenizer_class: 'Qwen2Tokenizer', model_max_length: 32768, bos_token: null, eos_token: '<|im_end|>',
      pad_token: '<|endoftext|>', unk_token: null, errors: 'replace', split_special_tokens: false,
      chat_template: QWEN2_CHATML_TEMPLATE,
    });
    json('generation_config.json', {
      bos_token_id: tok.ids['<|endoftext|>'], eos_token_id: [tok.ids['<|im_end|>'], tok.ids['<|endoftext|>']],
      pad_token_id: tok.ids['<|endoftext|>'],
    });
  }
  const S = cfg.vision.imageSize;
  const pre = {
    do_resize: true, size: { height: S, width: S }, resample: 3, do_rescale: true, rescale_factor: 1 / 255,
    do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], do_convert_rgb: true,
  };
  json('preprocessor_config.json', { image_processor_type: 'LlavaOnevisionImageProcessor', processor_class: 'LlavaOnevisionProcessor', ...pre });
  json('video_preprocessor_config.json', { video_processor_type: 'LlavaOnevisionVideoProcessor', processor_class: 'LlavaOnevisionProcessor', ...pre });
  return { files, tensors: specs.length, bytes };
}
