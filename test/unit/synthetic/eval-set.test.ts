// The evaluation set: seed ranges, answer matching, configs, and the lossless mp4 path (rendered pixels must come
// back bit-exact through the app's own decode + preprocess).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalConfigs, parseSparsities } from '../../../engine/cli/eval.ts';
import { answerMatches, normalizeAnswer, parseSeedRange, readEvalSet, writeEvalSet } from '../../../engine/core/synthetic/eval-set.ts';
import { describeQuestion } from '../../../engine/core/synthetic/questions.ts';
import { COLOURS, makeScene, renderFrame, SHAPES, SIZE } from '../../../engine/core/synthetic/world.ts';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { prepareVideo } from '../../../engine/core/video/prepare-video.ts';
import { loadPreprocessConfig } from '../../../engine/core/video/preprocess-config.ts';

const MODEL = new URL('../../../assets/models/sparsevila-toy-shapes', import.meta.url).pathname;

describe('eval set helpers', () => {
  it('parses seed ranges and refuses training seeds', () => {
    expect(parseSeedRange('3:6')).toEqual([3, 4, 5]);
    expect(parseSeedRange('7')).toEqual([7]);
    expect(parseSeedRange('/tmp/set')).toBeNull();
    expect(() => parseSeedRange('5:5')).toThrow(/greater/);
    expect(() => parseSeedRange('999990:1000010')).toThrow(/below 1000000/);
  });

  it('compares the first word of an answer', () => {
    expect(normalizeAnswer(' Red.')).toBe('red');
    expect(normalizeAnswer('3 objects')).toBe('3');
    expect(normalizeAnswer('')).toBe('');
  });

  it('matches several-word answers word by word', () => {
    expect(answerMatches('Red square, blue circle', 'red square blue circle')).toBe(true);
    expect(answerMatches('red square blue circle red', 'red square blue circle')).toBe(false);
    expect(answerMatches('yes.', 'yes')).toBe(true);
  });

  it('describes every object in order of appearance', () => {
    const scene = makeScene(11);
    const d = describeQuestion(scene);
    const order = [...scene.objects].sort((a, b) => a.start - b.start);
    expect(d.answer).toBe(order.map((o) => `${COLOURS[o.colour].name} ${SHAPES[o.shape]}`).join(' '));
    expect(d.targets).toHaveLength(scene.objects.length);
  });

  it('builds one config per policy and sparsity pair, and prefill-only at each sparsevila pair\'s decode count', () => {
    const pairs = parseSparsities('0.5:0.75,0.75:0.9');
    const labels = evalConfigs(['dense', 'prefill-only', 'query-prune', 'sparsevila'], pairs).map((c) => `${c.policy}:${c.prefillSparsity}:${c.decodeSparsity}`);
    expect(labels).toEqual(['dense:0:0', 'prefill-only:0.5:0', 'prefill-only:0.75:0', 'query-prune:0.5:0.75', 'query-prune:0.75:0.9',
      'sparsevila:0.5:0.75', 'sparsevila:0.75:0.9', 'prefill-only:0.875:0', 'prefill-only:0.975:0']);
    expect(evalConfigs(['dense', 'prefill-only'], pairs)).toHaveLength(3);
    expect(() => parseSparsities('0.5')).toThrow(/P:R/);
    expect(() => parseSparsities('1:0.5')).toThrow(/P:R/);
  });
});

describe('eval set on disk', () => {
  it('writes mp4s whose decoded frames equal the rendered ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sv-evalset-'));
    const set = await writeEvalSet(dir, [5], resolveFfmpeg().ffmpeg);
    expect(readEvalSet(dir).items.map((i) => i.seed)).toEqual([5]);
    expect(set.items[0].conversation).toHaveLength(3);
    const v = await prepareVideo(join(dir, set.items[0].video), {
      sampling: { mode: 'uniform', frames: 16 }, preprocess: loadPreprocessConfig(MODEL), thumbnailWidth: 0, cacheDir: null,
    });
    expect(v.frameIndices).toEqual([0, 4, 8, 12, 16, 21, 25, 29, 33, 37, 42, 46, 50, 54, 58, 63]);
    const scene = makeScene(5);
    const plane = SIZE * SIZE;
    let maxDiff = 0;
    v.frameIndices.forEach((n, f) => {
      const rgb = renderFrame(scene, n);
      for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) {
        const want = (rgb[p * 3 + c] / 255 - 0.5) / 0.5;
        maxDiff = Math.max(maxDiff, Math.abs(v.pixelValues[(f * 3 + c) * plane + p] - want));
      }
    });
    expect(maxDiff).toBeLessThan(1e-6);
    expect(() => readEvalSet(join(dir, 'nope'))).toThrow(/manifest/);
  }, 60_000);
});
