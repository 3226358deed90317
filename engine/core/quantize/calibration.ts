// Calibration activations: the model runs as the app runs it (ChatSession: vision tower, prompt, prefill, a few
// answer tokens) on a few frames of the calibration videos with a few prompts, and a sample of the rows entering
// each group of linears that share an input is kept (qwen2-groups.ts names the groups).
import { loadCheckpoint } from '../checkpoint/load.ts';
import type { Backend } from '../backend/backend.ts';
import { LlavaOnevision } from '../models/llava-onevision.ts';
import type { LoadedModel } from '../models/load-model.ts';
import { ChatSession, type SessionVideo } from '../session/chat-session.ts';
import { ChatTemplate, QWEN2_CHATML_TEMPLATE } from '../tokenizer/tokenizer.ts';
import { DENSE_SETTINGS } from '../sparse/policy.ts';
import { loadPreprocessConfig } from '../video/preprocess-config.ts';
import { prepareVideo } from '../video/prepare-video.ts';
import { RowSampler, recordLinearInputs } from './activation-recorder.ts';
import type { Activations } from './matmul.ts';
import { groupWatchList } from './qwen2-groups.ts';
import { syntheticVideo } from './synthetic-frames.ts';

/** Prompts asked about every calibration video (one turn each, the video's KV kept between them). */
export const CALIBRATION_PROMPTS = [
  'describe the video .',
  'what colour is the first object ?',
  'what happens in the video , and in which order ?',
];

export interface CalibrationOptions {
  /** Video files; none: frames of the synthetic shapes world (scenes `syntheticSeeds`). */
  videos: readonly string[];
  frames: number;
  syntheticSeeds?: readonly number[];
  prompts?: readonly string[];
  /** Answer tokens generated per prompt (their rows are calibration rows too). */
  answerTokens?: number;
  /** Rows kept per group (a uniform sample of all rows seen). */
  rowsPerGroup: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface Calibration {
  /** Group key (qwen2-groups.ts) -> sampled input rows. */
  activations: Map<string, Activations>;
  /** Rows the model produced per group (before sampling), and rows kept. */
  rowsSeen: number;
  rowsKept: number;
  videos: string[];
}

export async function gatherActivations(dir: string, inner: Backend, opts: CalibrationOptions): Promise<Calibration> {
  const ck = loadCheckpoint(dir);
  if (!ck.tokenizer) {
    ck.weights.close();
    throw new Error(`${dir}: calibration runs the model on prompts and needs its tokenizer.json`);
  }
  const samplers = new Map<string, RowSampler>();
  const watch = groupWatchList(ck.config.text);
  const rec = recordLinearInputs(inner, watch, (key, x, rows) => {
    let s = samplers.get(key);
    if (!s) samplers.set(key, s = new RowSampler(x.length / rows, opts.rowsPerGroup, samplers.size + 1));
    s.add(x, rows);
  });
  let model: LlavaOnevision;
  try {
    model = LlavaOnevision.load(rec.backend, rec.source(ck.weights), ck.config);
  } finally {
    ck.weights.close();
  }
  const loaded: LoadedModel = {
    name: dir, dir, config: ck.config, backend: rec.backend, model, tokenizer: ck.tokenizer,
    chatTemplate: ck.chatTemplate ?? new ChatTemplate(QWEN2_CHATML_TEMPLATE), generation: ck.generation,
    preprocessor: ck.preprocessor, awqGroupSize: 0, loadMs: 0, dispose() {},
  };
  const pre = loadPreprocessConfig(dir);
  const seeds = opts.syntheticSeeds ?? [1, 2];
  const sources = opts.videos.length > 0 ? opts.videos : seeds.map((s) => `synthetic scene ${s}`);
  const prompts = opts.prompts ?? CALIBRATION_PROMPTS;
  const total = sources.length * prompts.length;
  opts.onProgress?.(0, total);
  for (const [vi, src] of sources.entries()) {
    const video = opts.videos.length > 0
      ? await prepareVideo(src, { sampling: { mode: 'uniform', frames: opts.frames }, preprocess: pre, thumbnailWidth: 0, cacheDir: null })
      : syntheticVideo(seeds[vi], opts.frames, pre);
    const session = await ChatSession.create(loaded, video, { sparse: DENSE_SETTINGS, signal: opts.signal });
    try {
      for (const [pi, p] of prompts.entries()) {
        await session.ask(p, { maxNewTokens: opts.answerTokens ?? 8, temperature: 0, signal: opts.signal });
        opts.signal?.throwIfAborted();
        opts.onProgress?.(vi * prompts.length + pi + 1, total);
      }
    } finally {
      session.dispose();
    }
  }
  const activations = new Map<string, Activations>();
  let rowsSeen = 0, rowsKept = Infinity;
  for (const key of new Set(watch.values())) {
    const s = samplers.get(key);
    if (!s) throw new Error(`calibration: the model never ran the linears of ${key}`);
    const kept = s.result();
    activations.set(key, kept);
    rowsSeen = Math.max(rowsSeen, s.rowsSeen);
    rowsKept = Math.min(rowsKept, kept.rows);
  }
  return { activations, rowsSeen, rowsKept, videos: [...sources] };
}
