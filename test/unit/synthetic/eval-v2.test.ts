// World v2's evaluation: item scoring (partial credit in order, exact match) and the per type / turn / length tallies
// of runEvalV2 on a tiny set, with a stand-in conversation runner (the app's ChatSession runner is the CLI's).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lengthBucket, runEvalV2, trivialAnswers, v2Configs, type ConversationRunner } from '../../../engine/cli/eval-v2.ts';
import { answerItems, scoreItems } from '../../../engine/core/synthetic/answer-score.ts';
import { readEvalSetV2, writeEvalSetV2, type EvalSetV2 } from '../../../engine/core/synthetic/eval-set-v2.ts';
import { MAX_TURNS_V2, evalItemV2 } from '../../../engine/core/synthetic/questions-v2.ts';
import { SIZE, makeSceneV2, renderFrameV2 } from '../../../engine/core/synthetic/world-v2.ts';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { prepareVideo } from '../../../engine/core/video/prepare-video.ts';
import { loadPreprocessConfig } from '../../../engine/core/video/preprocess-config.ts';

const TOY_MODEL = new URL('../../../assets/models/sparsevila-toy-shapes', import.meta.url).pathname;

describe('world v2 answer scoring', () => {
  it('reads actors, sides and stray words as items, skipping the joining words', () => {
    expect(answerItems('Red circle , left to top')).toEqual(['red circle', 'left', 'top']);
    expect(answerItems('blue square green')).toEqual(['blue square', 'green']);
    expect(answerItems('none')).toEqual(['none']);
  });

  it('gives partial credit for items named in order and charges missing, extra and swapped ones', () => {
    const want = ['red circle', 'blue square', 'green cross'];
    const ans = 'red circle blue square green cross';
    expect(scoreItems(ans, want, ans)).toMatchObject({ partial: 1, exact: true });
    expect(scoreItems('red circle blue square', want, ans)).toMatchObject({ partial: 2 / 3, exact: false });
    expect(scoreItems('red circle green cross blue square', want, ans).partial).toBeCloseTo(2 / 3);
    expect(scoreItems('red circle blue square green cross pink circle', want, ans).partial).toBeCloseTo(3 / 4);
    expect(scoreItems('green cross blue square red circle', want, ans).partial).toBeCloseTo(1 / 3);
    expect(scoreItems('', want, ans)).toMatchObject({ partial: 0, exact: false });
    expect(scoreItems('red circle , left to top', ['red circle', 'left', 'top'], 'red circle , left to top').exact).toBe(true);
    expect(() => scoreItems('x', [], '')).toThrow(/no expected items/);
  });

  it('every generated answer reads back as its own items', () => {
    for (let seed = 0; seed < 100; seed++) {
      for (const q of evalItemV2(seed, MAX_TURNS_V2).conversation) expect(answerItems(q.answer)).toEqual(q.items);
    }
  });
});

describe('runEvalV2 on a tiny set', () => {
  const set: EvalSetV2 = {
    world: 'sparsevila-world-v2', fps: 4, frames: 64, size: 128,
    items: [3, 4, 5].map((seed) => ({ seed, video: `v2-seed-${seed}.mp4`, conversation: evalItemV2(seed, MAX_TURNS_V2).conversation })),
  };
  // dense answers right; sparsevila drops the last item of every answer
  const runner: ConversationRunner = async (_video, c, qs) => qs.map((q) => ({
    answer: c.policy === 'dense' ? q.answer : q.items.slice(0, -1).join(' '),
    visualRetained: c.policy === 'dense' ? 2048 : 512, visualRead: c.policy === 'dense' ? 2048 : 51, ttftMs: 10, decodeMs: 5, tokens: 6,
  }));

  it('tallies per turn, type and length, with the trivial baseline and the matched prefill-only config', async () => {
    const configs = v2Configs(['dense', 'sparsevila'], [[0.75, 0.9]]);
    expect(configs.map((c) => c.label)).toEqual(['dense', 'sparsevila p=0.75 r=0.9',
      "prefill-only p=0.975 (sparsevila p=0.75 r=0.9's decode count)", 'trivial (most common answer per type)']);
    const r = await runEvalV2({ name: 'm', device: 'cpu' }, set, '/nowhere', runner, { frames: 32, turns: 4, configs });
    const [dense, sparse, , trivial] = r.configs;
    expect(dense.overall).toEqual({ asked: 12, partial: 12, exact: 12 });
    expect(dense.byTurn.map((t) => t.asked)).toEqual([3, 3, 3, 3]);
    expect(sparse.overall.exact).toBe(0);
    // path answers have 2 items, one dropped: 1/2 each
    expect(sparse.byType.path.partial / sparse.byType.path.asked).toBeCloseTo(0.5);
    expect(sparse.byType.after.partial / sparse.byType.after.asked).toBeCloseTo(2 / 3);
    expect(Object.values(sparse.byLength).reduce((s, t) => s + t.asked, 0)).toBe(12);
    expect(sparse.visualRead).toBe(51);
    expect(sparse.meanMs.decodePerToken).toBe(1);
    const common = trivialAnswers(set, 4);
    expect(trivial.answers.every(([seed, turn, , , ans]) => ans === undefined || ans === common[set.items.find((i) => i.seed === seed)!.conversation[turn - 1].type])).toBe(true);
    expect(trivial.visualRetained).toBe(0);
  });

  it('refuses more turns than the manifest holds', async () => {
    const short: EvalSetV2 = { ...set, items: [{ ...set.items[0], conversation: set.items[0].conversation.slice(0, 2) }] };
    await expect(runEvalV2({ name: 'm', device: 'cpu' }, short, '/nowhere', runner, { frames: 32, turns: 4, configs: v2Configs(['dense'], []) }))
      .rejects.toThrow(/2 turns, --turns asks 4/);
  });

  it('buckets answer lengths by expected items', () => {
    expect([1, 2, 3, 5, 8].map(lengthBucket)).toEqual(['1-2 items', '1-2 items', '3-4 items', '5-6 items', '7-8 items']);
  });
});

describe('world v2 eval set on disk', () => {
  it('writes 128x128 mp4s whose decoded frames equal the rendered ones, and a manifest it reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sv-evalset-v2-'));
    const set = await writeEvalSetV2(dir, [6], resolveFfmpeg().ffmpeg);
    expect(readEvalSetV2(dir).items[0].conversation).toEqual(evalItemV2(6, MAX_TURNS_V2).conversation);
    expect(set.items[0].conversation).toHaveLength(MAX_TURNS_V2);
    const preprocess = { ...loadPreprocessConfig(TOY_MODEL), width: SIZE, height: SIZE };
    const v = await prepareVideo(join(dir, set.items[0].video), { sampling: { mode: 'uniform', frames: 8 }, preprocess, thumbnailWidth: 0, cacheDir: null });
    const scene = makeSceneV2(6);
    const plane = SIZE * SIZE;
    let maxDiff = 0;
    v.frameIndices.forEach((n, f) => {
      const rgb = renderFrameV2(scene, n);
      for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) {
        maxDiff = Math.max(maxDiff, Math.abs(v.pixelValues[(f * 3 + c) * plane + p] - (rgb[p * 3 + c] / 255 - 0.5) / 0.5));
      }
    });
    expect(maxDiff).toBeLessThan(1e-6);
    expect(() => readEvalSetV2(join(dir, 'nope'))).toThrow(/manifest/);
  }, 60_000);
});
