// An evaluation set on disk: one mp4 per seed (the synthetic world rendered losslessly with ffmpeg) and a
// manifest.json with each video's questions and answers. `sparsevila eval --set A:B` writes one; `--set DIR` reads it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalItem, type Question } from './questions.ts';
import { FPS, NUM_FRAMES, SIZE, makeScene, renderFrame } from './world.ts';

export const WORLD_NAME = 'sparsevila-shapes-v1';

export interface EvalSetItem {
  seed: number;
  /** File name inside the set folder. */
  video: string;
  single: Question[];
  conversation: Question[];
}

export interface EvalSet {
  world: string;
  fps: number;
  frames: number;
  size: number;
  items: EvalSetItem[];
}

/** "A:B" (B exclusive) or "A" -> seeds; null when `spec` is not a seed range (then it is a folder). */
export function parseSeedRange(spec: string): number[] | null {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) return null;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  if (!(b > a)) throw new Error(`seed range ${spec}: the end must be greater than the start`);
  if (b - a > 100000) throw new Error(`seed range ${spec}: at most 100000 seeds`);
  if (b > 1_000_000) throw new Error(`seed range ${spec}: evaluation seeds are below 1000000 (training used the seeds above)`);
  return Array.from({ length: b - a }, (_, i) => a + i);
}

/** The 64 frames of a seed's clip as one rgb24 buffer. */
export function renderClip(seed: number): Buffer {
  const scene = makeScene(seed);
  const out = Buffer.alloc(NUM_FRAMES * SIZE * SIZE * 3);
  for (let n = 0; n < NUM_FRAMES; n++) out.set(renderFrame(scene, n), n * SIZE * SIZE * 3);
  return out;
}

/** Encode raw rgb24 frames (size x size) losslessly (H.264 RGB, qp 0) so the decoded pixels are exactly the rendered ones. */
export function encodeClip(ffmpeg: string, rgb: Buffer, file: string, size = SIZE, fps = FPS): Promise<void> {
  const args = ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${size}x${size}`, '-r', String(fps), '-i', 'pipe:0',
    '-c:v', 'libx264rgb', '-qp', '0', '-preset', 'veryfast', '-pix_fmt', 'rgb24', '-movflags', '+faststart', file];
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => reject(new Error(`cannot run ffmpeg (${ffmpeg}): ${e.message}`)));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed (${code}) writing ${file}: ${err.trim()}`))));
    p.stdin.on('error', () => {}); // reported through 'close'
    p.stdin.end(rgb);
  });
}

export async function writeEvalSet(dir: string, seeds: readonly number[], ffmpeg: string, opts: { single?: number; turns?: number } = {}): Promise<EvalSet> {
  mkdirSync(dir, { recursive: true });
  const items: EvalSetItem[] = [];
  for (const seed of seeds) {
    const it = evalItem(seed, opts.single ?? 4, opts.turns ?? 3);
    const video = `seed-${String(seed).padStart(6, '0')}.mp4`;
    const file = join(dir, video);
    if (!existsSync(file)) await encodeClip(ffmpeg, renderClip(seed), file);
    items.push({ seed, video, single: it.single, conversation: it.conversation });
  }
  const set: EvalSet = { world: WORLD_NAME, fps: FPS, frames: NUM_FRAMES, size: SIZE, items };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(set, null, 1) + '\n');
  return set;
}

export function readEvalSet(dir: string): EvalSet {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new Error(`${dir}: no manifest.json (write a set with --set A:B --write-set ${dir})`);
  let set: EvalSet;
  try {
    set = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (set.world !== WORLD_NAME || !Array.isArray(set.items)) throw new Error(`${path}: not a ${WORLD_NAME} evaluation set`);
  for (const it of set.items) {
    if (!existsSync(join(dir, it.video))) throw new Error(`${path}: video ${it.video} is missing`);
  }
  return set;
}

/** Whether a generated answer is right: the first word for one-word answers, every word for longer ones. */
export function answerMatches(text: string, expected: string): boolean {
  const want = expected.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  if (want.length <= 1) return normalizeAnswer(text) === (want[0] ?? '');
  const got = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return got.length === want.length && got.every((w, i) => w === want[i]);
}

/** The first word of an answer, lower-cased, without punctuation: what is compared with the expected answer. */
export function normalizeAnswer(text: string): string {
  const m = /[a-z0-9]+/.exec(text.toLowerCase());
  return m ? m[0] : '';
}
