// Everything in a model folder: config, weights (opened, read lazily), tokenizer, chat template, generation config,
// preprocessor config.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type LlavaOnevisionConfig } from './config.ts';
import { CheckpointWeights } from './weights.ts';
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

function ids(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

export function loadCheckpoint(dir: string): Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(`${dir}: not a model folder (does not exist or is not a directory)`);
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new CheckpointError(`${dir}: config.json is missing; expected a Hugging Face LlavaOnevisionForConditionalGeneration folder`);
  const rawConfig = readJsonFile(cfgPath);
  const config = parseConfig(rawConfig);
  const tokenizer = existsSync(join(dir, 'tokenizer.json')) ? TextTokenizer.load(dir) : null;
  const chatTemplate = ChatTemplate.load(dir, tokenizer?.config ?? {});
  const gPath = join(dir, 'generation_config.json');
  const g = existsSync(gPath) ? readJsonFile(gPath) : {};
  const eos = ids(g.eos_token_id);
  if (eos.length === 0) eos.push(...ids((rawConfig.text_config as Record<string, unknown> | undefined)?.eos_token_id));
  // ChatML turns end with <|im_end|>: stop there even when generation_config.json names only <|endoftext|>.
  const imEnd = tokenizer?.tokenId('<|im_end|>');
  if (imEnd !== undefined && !eos.includes(imEnd)) eos.push(imEnd);
  const generation: GenerationConfig = {
    eosTokenIds: eos,
    bosTokenId: ids(g.bos_token_id)[0],
    padTokenId: ids(g.pad_token_id)[0],
    temperature: typeof g.temperature === 'number' ? g.temperature : undefined,
    topP: typeof g.top_p === 'number' ? g.top_p : undefined,
    doSample: typeof g.do_sample === 'boolean' ? g.do_sample : undefined,
  };
  let preprocessor: Record<string, unknown> | null = null;
  for (const f of ['video_preprocessor_config.json', 'preprocessor_config.json']) {
    if (existsSync(join(dir, f))) { preprocessor = readJsonFile(join(dir, f)); break; }
  }
  const weights = new CheckpointWeights(dir);
  return { dir, config, rawConfig, weights, tokenizer, chatTemplate, generation, preprocessor };
}
