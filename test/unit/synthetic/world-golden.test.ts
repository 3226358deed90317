// engine/core/synthetic must produce exactly the scenes, questions and pixels of scripts/synthetic-world/world.py (the
// world the toy model was trained on); golden.json was written by scripts/synthetic-world/golden.py.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../engine/core/synthetic/prng.ts';
import { evalItem } from '../../../engine/core/synthetic/questions.ts';
import { NUM_FRAMES, fnv1a, renderFrame } from '../../../engine/core/synthetic/world.ts';

const golden = JSON.parse(readFileSync(new URL('../../fixtures/synthetic/golden.json', import.meta.url), 'utf8'));

describe('synthetic world matches the Python reference', () => {
  it('draws the same PRNG numbers', () => {
    const rng = new Rng(12345);
    expect(Array.from({ length: 5 }, () => rng.next())).toEqual(golden.rng_12345);
  });

  for (const ref of golden.items) {
    it(`seed ${ref.seed}: same scene, questions and frames`, () => {
      const item = evalItem(ref.seed);
      expect(item.scene).toEqual(ref.scene);
      expect(item.single).toEqual(ref.single);
      expect(item.conversation).toEqual(ref.conversation);
      let h = 0x811c9dc5;
      for (let n = 0; n < NUM_FRAMES; n++) h = fnv1a(renderFrame(item.scene, n), h);
      expect(h).toBe(ref.frames_fnv1a);
    });
  }
});
