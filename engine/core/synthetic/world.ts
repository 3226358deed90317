// The synthetic video world the toy model (assets/models/sparsevila-toy-shapes) was trained on, rendered in code.
// Same scenes, pixels and PRNG draws as scripts/synthetic-world/world.py (pinned by test/fixtures/synthetic/golden.json).
//
// A scene is a 16 s clip at 4 fps (64 frames of 64x64 RGB): 2-4 objects, each a coloured shape (distinct colours) in
// its own quadrant, visible for 4-8 s from its own start (starts at least 2 s apart), sliding 12 px one way.
import { Rng } from './prng.ts';

export const FPS = 4;
export const NUM_FRAMES = 64;
export const SIZE = 64;
export const DURATION_S = NUM_FRAMES / FPS;
const QUAD = 32;
const TRAVEL = 12;
const MIN_START_GAP = 8;
export const BACKGROUND: readonly [number, number, number] = [16, 16, 16];

export const COLOURS: readonly { name: string; rgb: readonly [number, number, number] }[] = [
  { name: 'red', rgb: [230, 30, 30] },
  { name: 'green', rgb: [30, 190, 40] },
  { name: 'blue', rgb: [40, 90, 255] },
  { name: 'yellow', rgb: [245, 225, 30] },
  { name: 'white', rgb: [245, 245, 245] },
  { name: 'magenta', rgb: [230, 40, 210] },
  { name: 'cyan', rgb: [30, 215, 225] },
  { name: 'orange', rgb: [255, 140, 0] },
];
export const SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;
export const SHAPE_PLURALS = ['circles', 'squares', 'triangles', 'crosses'] as const;
export const DIRECTIONS = ['left', 'right', 'up', 'down'] as const;

export interface SceneObject {
  colour: number;
  shape: number;
  radius: number;
  direction: number;
  /** Visible frames. */
  length: number;
  quadrant: number;
  start_pos: number;
  fixed: number;
  /** First visible frame. */
  start: number;
}

export interface Scene {
  seed: number;
  objects: SceneObject[];
}

export function makeScene(seed: number): Scene {
  const rng = new Rng(seed);
  const k = 2 + rng.randint(3);
  const colours = rng.shuffled(COLOURS.map((_, i) => i)).slice(0, k);
  const quads = rng.shuffled([0, 1, 2, 3]).slice(0, k);
  const objects: SceneObject[] = [];
  for (let i = 0; i < k; i++) {
    const shape = rng.randint(SHAPES.length);
    const r = 7 + rng.randint(3);
    const direction = rng.randint(4);
    const length = 16 + rng.randint(17);
    const lo = r;
    const hi = QUAD - 1 - r;
    const moving0 = lo + rng.randint(hi - lo - TRAVEL + 1);
    const fixed = lo + rng.randint(hi - lo + 1);
    const startPos = direction === 0 || direction === 2 ? moving0 + TRAVEL : moving0;
    objects.push({ colour: colours[i], shape, radius: r, direction, length, quadrant: quads[i], start_pos: startPos, fixed, start: 0 });
  }
  for (let attempt = 0; ; attempt++) {
    if (attempt === 10000) throw new Error(`no start times found for seed ${seed}`);
    const starts = objects.map((o) => rng.randint(NUM_FRAMES - o.length + 1));
    let ok = true;
    for (let a = 0; a < k && ok; a++) for (let b = a + 1; b < k; b++) if (Math.abs(starts[a] - starts[b]) < MIN_START_GAP) ok = false;
    if (ok) {
      objects.forEach((o, i) => (o.start = starts[i]));
      break;
    }
  }
  return { seed, objects };
}

/** Centre in frame pixels at video frame n, or null when the object is not visible. */
export function objectCentre(o: SceneObject, n: number): [number, number] | null {
  if (n < o.start || n >= o.start + o.length) return null;
  const step = Math.floor((TRAVEL * (n - o.start)) / (o.length - 1));
  const moving = o.start_pos + (o.direction === 0 || o.direction === 2 ? -step : step);
  const qx = (o.quadrant % 2) * QUAD;
  const qy = Math.floor(o.quadrant / 2) * QUAD;
  return o.direction <= 1 ? [qx + moving, qy + o.fixed] : [qx + o.fixed, qy + moving];
}

export function inside(shape: number, r: number, dx: number, dy: number): boolean {
  const adx = Math.abs(dx);
  const ady = Math.abs(dy);
  if (shape === 0) return dx * dx + dy * dy <= r * r;
  if (shape === 1) return adx <= r - 1 && ady <= r - 1;
  if (shape === 2) return dy <= r - 1 && 2 * adx <= dy + r;
  const arm = Math.floor(r / 3);
  return (adx <= arm && ady <= r) || (ady <= arm && adx <= r);
}

/** Video frame n as SIZE*SIZE*3 RGB bytes, row-major. */
export function renderFrame(scene: Scene, n: number): Uint8Array {
  const buf = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE * SIZE; i++) buf.set(BACKGROUND, i * 3);
  for (const o of scene.objects) {
    const c = objectCentre(o, n);
    if (!c) continue;
    const [cx, cy] = c;
    const r = o.radius;
    const rgb = COLOURS[o.colour].rgb;
    for (let py = Math.max(0, cy - r); py < Math.min(SIZE, cy + r + 1); py++) {
      for (let px = Math.max(0, cx - r); px < Math.min(SIZE, cx + r + 1); px++) {
        if (inside(o.shape, r, px - cx, py - cy)) buf.set(rgb, (py * SIZE + px) * 3);
      }
    }
  }
  return buf;
}

export function fnv1a(data: Uint8Array, h = 0x811c9dc5): number {
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 0x01000193) >>> 0;
  return h >>> 0;
}
