// engine/core/synthetic's world v2 must produce exactly the scenes, questions and pixels of
// scripts/synthetic-world/world_v2.py (what scripts/gpu/train_world_v2.py trains on); golden-v2.json was written by
// `python3 scripts/synthetic-world/golden.py --world v2`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fnv1a } from '../../../engine/core/synthetic/world.ts';
import { MAX_TURNS_V2, evalItemV2 } from '../../../engine/core/synthetic/questions-v2.ts';
import { NUM_FRAMES, renderFrameV2 } from '../../../engine/core/synthetic/world-v2.ts';

const golden = JSON.parse(readFileSync(new URL('../../fixtures/synthetic/golden-v2.json', import.meta.url), 'utf8'));

describe('synthetic world v2 matches the Python reference', () => {
  for (const ref of golden.items) {
    it(`seed ${ref.seed}: same scene, questions and frames`, () => {
      const item = evalItemV2(ref.seed, MAX_TURNS_V2);
      expect(item.scene).toEqual(ref.scene);
      expect(item.conversation).toEqual(ref.conversation);
      let h = 0x811c9dc5;
      for (let n = 0; n < NUM_FRAMES; n++) h = fnv1a(renderFrameV2(item.scene, n), h);
      expect(h).toBe(ref.frames_fnv1a);
    });
  }

  it('every scene has 6-12 objects, 4-8 actors entering in order, and answers that are their items', () => {
    for (let seed = 0; seed < 300; seed++) {
      const { scene, conversation } = evalItemV2(seed, MAX_TURNS_V2);
      const n = scene.actors.length + scene.distractors.length;
      expect(n).toBeGreaterThanOrEqual(6);
      expect(n).toBeLessThanOrEqual(12);
      for (let i = 1; i < scene.actors.length; i++) expect(scene.actors[i].start - scene.actors[i - 1].start).toBeGreaterThanOrEqual(4);
      for (const a of scene.actors) expect(a.start + a.length).toBeLessThanOrEqual(NUM_FRAMES);
      for (const q of conversation) expect(q.answer.split(' ').length).toBeGreaterThanOrEqual(2);
    }
  });
});
