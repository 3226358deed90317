// A world-v2 evaluation set on disk: one lossless mp4 per seed and a manifest.json with each video's conversation
// (questions, answers, scored items). `sparsevila eval --world v2 --set A:B` writes one; `--set DIR` reads it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeClip } from './eval-set.ts';
import { MAX_TURNS_V2, evalItemV2, type QuestionV2 } from './questions-v2.ts';
import { FPS, NUM_FRAMES, SIZE, makeSceneV2, renderFrameV2 } from './world-v2.ts';

export const WORLD_V2_NAME = 'sparsevila-world-v2';

export interface EvalSetV2Item {
  seed: number;
  /** File name inside the set folder. */
  video: string;
  conversation: QuestionV2[];
}

export interface EvalSetV2 {
  world: string;
  fps: number;
  frames: number;
  size: number;
  items: EvalSetV2Item[];
}

export function renderClipV2(seed: number): Buffer {
  const scene = makeSceneV2(seed);
  const frame = SIZE * SIZE * 3;
  const out = Buffer.alloc(NUM_FRAMES * frame);
  for (let n = 0; n < NUM_FRAMES; n++) out.set(renderFrameV2(scene, n), n * frame);
  return out;
}

/** Every manifest holds MAX_TURNS_V2 turns; the eval asks the first --turns of them. */
export async function writeEvalSetV2(dir: string, seeds: readonly number[], ffmpeg: string): Promise<EvalSetV2> {
  mkdirSync(dir, { recursive: true });
  const items: EvalSetV2Item[] = [];
  for (const seed of seeds) {
    const video = `v2-seed-${String(seed).padStart(6, '0')}.mp4`;
    const file = join(dir, video);
    if (!existsSync(file)) await encodeClip(ffmpeg, renderClipV2(seed), file, SIZE, FPS);
    items.push({ seed, video, conversation: evalItemV2(seed, MAX_TURNS_V2).conversation });
  }
  const set: EvalSetV2 = { world: WORLD_V2_NAME, fps: FPS, frames: NUM_FRAMES, size: SIZE, items };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(set, null, 1) + '\n');
  return set;
}

export function readEvalSetV2(dir: string): EvalSetV2 {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new Error(`${dir}: no manifest.json (write a set with --world v2 --set A:B --write-set ${dir})`);
  let set: EvalSetV2;
  try {
    set = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (set.world !== WORLD_V2_NAME || !Array.isArray(set.items)) throw new Error(`${path}: not a ${WORLD_V2_NAME} evaluation set (world "${set.world}")`);
  for (const it of set.items) {
    if (!existsSync(join(dir, it.video))) throw new Error(`${path}: video ${it.video} is missing`);
  }
  return set;
}
