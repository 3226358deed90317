// World v2 of the synthetic video world (what scripts/gpu/train_world_v2.py trains on), rendered in code.
// Same scenes, pixels and PRNG draws as scripts/synthetic-world/world_v2.py (pinned by
// test/fixtures/synthetic/golden-v2.json).
//
// A scene is a 16 s clip at 4 fps (64 frames of 128x128 RGB): 4-8 actors (coloured shapes, distinct colours) enter one
// after another through an edge, cross the frame in a straight line (overlapping each other) and exit through another
// edge; 2-4 grey distractors, never asked about, sit still for part of the clip.
import { Rng } from './prng.ts';
import { SHAPES, inside } from './world.ts';

export const FPS = 4;
export const NUM_FRAMES = 64;
export const SIZE = 128;
export const BACKGROUND: readonly [number, number, number] = [16, 16, 16];
export const GREY: readonly [number, number, number] = [120, 120, 120];
export const COLOURS: readonly { name: string; rgb: readonly [number, number, number] }[] = [
  { name: 'red', rgb: [230, 30, 30] },
  { name: 'green', rgb: [30, 190, 40] },
  { name: 'blue', rgb: [40, 90, 255] },
  { name: 'yellow', rgb: [245, 225, 30] },
  { name: 'white', rgb: [245, 245, 245] },
  { name: 'magenta', rgb: [230, 40, 210] },
  { name: 'cyan', rgb: [30, 215, 225] },
  { name: 'orange', rgb: [255, 140, 0] },
  { name: 'purple', rgb: [130, 50, 200] },
  { name: 'pink', rgb: [255, 160, 200] },
];
export const SIDES = ['left', 'right', 'top', 'bottom'] as const;
const MIN_ACTORS = 4;
const MAX_ACTORS = 8;
const MAX_DISTRACTORS = 4;
/** Actors' entry frames are spread over the first ENTRY_SPAN frames, one slot each. */
const ENTRY_SPAN = 44;

export interface Actor {
  colour: number;
  shape: number;
  radius: number;
  /** Sides (index into SIDES) it enters and exits through. */
  entry: number;
  exit: number;
  /** Positions along the entry and exit edges. */
  u0: number;
  u1: number;
  /** First frame in the clip, and frames in it. */
  start: number;
  length: number;
}

export interface Distractor {
  shape: number;
  radius: number;
  x: number;
  y: number;
  start: number;
  length: number;
}

export interface SceneV2 {
  seed: number;
  /** In order of entry. */
  actors: Actor[];
  distractors: Distractor[];
}

export function makeSceneV2(seed: number): SceneV2 {
  const rng = new Rng(seed);
  const k = MIN_ACTORS + rng.randint(MAX_ACTORS - MIN_ACTORS + 1);
  const d = 2 + rng.randint(MAX_DISTRACTORS - 1);
  const colours = rng.shuffled(COLOURS.map((_, i) => i)).slice(0, k);
  const slot = Math.floor(ENTRY_SPAN / k);
  const actors: Actor[] = [];
  for (let i = 0; i < k; i++) {
    const shape = rng.randint(SHAPES.length);
    const radius = 8 + rng.randint(4);
    const entry = rng.randint(4);
    const exit = (entry + 1 + rng.randint(3)) % 4;
    const u0 = 20 + rng.randint(89);
    const u1 = 20 + rng.randint(89);
    const start = i * slot + rng.randint(Math.max(1, slot - 3));
    const length = Math.min(16 + rng.randint(13), NUM_FRAMES - start);
    actors.push({ colour: colours[i], shape, radius, entry, exit, u0, u1, start, length });
  }
  const distractors: Distractor[] = [];
  for (let j = 0; j < d; j++) {
    const shape = rng.randint(SHAPES.length);
    const radius = 6 + rng.randint(3);
    const x = 12 + rng.randint(SIZE - 23);
    const y = 12 + rng.randint(SIZE - 23);
    const start = rng.randint(32);
    const length = Math.min(32 + rng.randint(33), NUM_FRAMES - start);
    distractors.push({ shape, radius, x, y, start, length });
  }
  return { seed, actors, distractors };
}

/** The centre on an edge: half the object is inside the frame. */
function edgePoint(side: number, u: number): [number, number] {
  return ([[0, u], [SIZE - 1, u], [u, 0], [u, SIZE - 1]] as [number, number][])[side];
}

/** Centre at video frame n, or null when the actor is not in the clip then. */
export function actorCentre(a: Actor, n: number): [number, number] | null {
  const t = n - a.start;
  if (t < 0 || t >= a.length) return null;
  const [x0, y0] = edgePoint(a.entry, a.u0);
  const [x1, y1] = edgePoint(a.exit, a.u1);
  const span = a.length - 1;
  return [x0 + Math.floor(((x1 - x0) * t) / span), y0 + Math.floor(((y1 - y0) * t) / span)];
}

function paint(buf: Uint8Array, shape: number, r: number, cx: number, cy: number, rgb: readonly number[]): void {
  for (let py = Math.max(0, cy - r); py < Math.min(SIZE, cy + r + 1); py++) {
    for (let px = Math.max(0, cx - r); px < Math.min(SIZE, cx + r + 1); px++) {
      if (inside(shape, r, px - cx, py - cy)) buf.set(rgb, (py * SIZE + px) * 3);
    }
  }
}

/** Video frame n as SIZE*SIZE*3 RGB bytes, row-major: distractors, then actors in entry order. */
export function renderFrameV2(scene: SceneV2, n: number): Uint8Array {
  const buf = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE * SIZE; i++) buf.set(BACKGROUND, i * 3);
  for (const o of scene.distractors) if (n >= o.start && n < o.start + o.length) paint(buf, o.shape, o.radius, o.x, o.y, GREY);
  for (const a of scene.actors) {
    const c = actorCentre(a, n);
    if (c) paint(buf, a.shape, a.radius, c[0], c[1], COLOURS[a.colour].rgb);
  }
  return buf;
}
