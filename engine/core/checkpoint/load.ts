// Everything in a model folder: config, weights (opened, read lazily), tokenizer, chat template, generation config,
// preprocessor config.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type LlavaOnevisionConfig } from '../models/llava-onevision-config.ts';
import { CheckpointWeights } from './weights.ts';
import { checkConfigAgainstWeights, tokenIdProblem } from './config-bounds.ts';
import { parseQuantConfig, type AwqConfig } from './quant-config.ts';
import { parsePreprocessConfig } from '../video/preprocess-config.ts';
import { ChatTemplate, TextTokenizer } from '../tokenizer/tokenizer.ts';

export interface GenerationConfig {
  eosTokenIds: number[];
  bosTokenId?: number;
  padTokenId?: number;
  temperature?: number;
  topP?: number;
  doSample?: boolean;
}

export interface Checkpoint {
  dir: string;
  config: LlavaOnevisionConfig;
  rawConfig: Record<string, unknown>;
  /** quantization_config of a 4-bit (AutoAWQ) checkpoint; null for 16-bit weights. */
  quant: AwqConfig | null;
  weights: CheckpointWeights;
  /** Absent when the folder has no tokenizer.json (e.g. a bare save_pretrained); `logits` does not need it. */
  tokenizer: TextTokenizer | null;
  chatTemplate: ChatTemplate | null;
  generation: GenerationConfig;
  /** preprocessor_config.json (or video_preprocessor_config.json) as is, for the video pipeline. */
  preprocessor: Record<string, unknown> | null;
}

export class CheckpointError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'CheckpointError';
  }
}

export function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CheckpointError(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Token ids of a generation_config.json field (one id or a list), each an integer in the vocabulary. */
function ids(v: unknown, field: string, file: string, vocab: number): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((id) => {
    const problem = tokenIdProblem(id, field, vocab);
    if (problem) throw new CheckpointError(`${file}: ${problem}`);
    return id as number;
  });
}

/** text_config / vision_config, when given, must be objects (null would silently mean the 7B defaults). */
function checkSubConfigs(raw: Record<string, unknown>, cfgPath: string): void {
  for (const key of ['text_config', 'vision_config']) {
    const v = raw[key];
    if (v === undefined) continue;
    if (v === null) throw new CheckpointError(`${cfgPath}: ${key} is null; it must be an object with the model's settings`);
    if (typeof v !== 'object' || Array.isArray(v)) throw new CheckpointError(`${cfgPath}: ${key} must be an object, got ${JSON.stringify(v).slice(0, 80)}`);
  }
}

/** The frame size the preprocessor produces must be the vision tower's input size (else every frame is decoded at
 *  that size only to fail on a shape error). */
function checkPreprocessor(json: Record<string, unknown>, file: string, config: LlavaOnevisionConfig): void {
  const p = parsePreprocessConfig(json, file);
  const s = config.vision.imageSize;
  if (p.width !== s || p.height !== s) {
    throw new CheckpointError(`${file}: frames of ${p.width}x${p.height} do not fit the vision tower (config.json vision_config.image_size ${s})`);
  }
}

export function loadCheckpoint(dir: string): Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(`${dir}: not a model folder (does not exist or is not a directory)`);
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new CheckpointError(`${dir}: config.json is missing; expected a Hugging Face LlavaOnevisionForConditionalGeneration folder`);
  const rawConfig = readJsonFile(cfgPath);
  checkSubConfigs(rawConfig, cfgPath);
  const config = parseConfig(rawConfig);
  const quant = parseQuantConfig(rawConfig);
  const weights = new CheckpointWeights(dir, quant);
  try {
    checkConfigAgainstWeights(config, weights);
    return { dir, config, rawConfig, quant, weights, ...readSideFiles(dir, config.text.vocabSize, rawConfig, (json, file) => checkPreprocessor(json, file, config)) };
  } catch (e) {
    weights.close();
    throw e;
  }
}

/** Tokenizer, chat template, generation and preprocessor configs (`checkPre`: the model's check of the latter). */
export function readSideFiles(dir: string, vocab: number, rawConfig: Record<string, unknown>,
  checkPre: (json: Record<string, unknown>, file: string) => void = () => {}) {
  let preprocessor: Record<string, unknown> | null = null;
  for (const f of ['video_preprocessor_config.json', 'preprocessor_config.json']) {
    if (!existsSync(join(dir, f))) continue;
    preprocessor = readJsonFile(join(dir, f));
    checkPre(preprocessor, join(dir, f));
    break;
  }
  const tokenizer = existsSync(join(dir, 'tokenizer.json')) ? TextTokenizer.load(dir) : null;
  const chatTemplate = ChatTemplate.load(dir, tokenizer?.config ?? {});
  const gPath = join(dir, 'generation_config.json');
  const g = existsSync(gPath) ? readJsonFile(gPath) : {};
  const eos = ids(g.eos_token_id, 'eos_token_id', gPath, vocab);
  if (eos.length === 0) eos.push(...ids((rawConfig.text_config as Record<string, unknown> | undefined)?.eos_token_id, 'text_config.eos_token_id', join(dir, 'config.json'), vocab));
  // ChatML turns end with <|im_end|>: stop there even when generation_config.json names only <|endoftext|>.
  const imEnd = tokenizer?.tokenId('<|im_end|>');
  if (imEnd !== undefined && !eos.includes(imEnd)) eos.push(imEnd);
  const generation: GenerationConfig = {
    eosTokenIds: eos,
    bosTokenId: ids(g.bos_token_id, 'bos_token_id', gPath, vocab)[0],
    padTokenId: ids(g.pad_token_id, 'pad_token_id', gPath, vocab)[0],
    temperature: typeof g.temperature === 'number' ? g.temperature : undefined,
    topP: typeof g.top_p === 'number' ? g.top_p : undefined,
    doSample: typeof g.do_sample === 'boolean' ? g.do_sample : undefined,
  };
  return { tokenizer, chatTemplate, generation, preprocessor };
}
