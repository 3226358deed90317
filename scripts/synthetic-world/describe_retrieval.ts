// Why the "describe the video ." turn suffers under decode retrieval: for each video and config, which objects the
// tokens the decoder may read actually show. An object counts as "seen" by a token set when at least one of its
// tokens (a pooled 16x16 cell covered >= 8 px by the object in that sampled frame) is in the set.
//   npx tsx scripts/synthetic-world/describe_retrieval.ts --model DIR --set A:B [--configs dense,prefill-only@0.75,sparsevila@0.75:0.9]
//   (a sparsevila config may name its retrieval after a slash: sparsevila@0.75:0.9/shared, .../top-p=0.8, .../refresh=4)
// Prints, per config: describe accuracy, words right before the first error, objects in the scene, objects seen by the
// retained (prefill-kept) tokens, and objects seen by each layer's retrieved set (mean over layers, and by the
// worst layer), plus how the answer fails (first wrong word's position vs the objects the retrieval missed).
// A second table goes by the object's place in the answer (k-th to appear): named right (the answer is right up to and
// including it), share of layers whose retrieved set shows it, share of the question's visual attention mass on its
// tokens (layer mean), and whether the retained tokens show it in the first sampled frame it is visible in.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../engine/core/models/load-model.ts';
import { ChatSession } from '../../engine/core/session/chat-session.ts';
import type { SparseSettings } from '../../engine/core/sparse/policy.ts';
import { parseRetrievalSpec } from '../../engine/core/sparse/retrieval-settings.ts';
import { describeQuestion } from '../../engine/core/synthetic/questions.ts';
import { COLOURS, makeScene, renderFrame, SIZE, type Scene } from '../../engine/core/synthetic/world.ts';
import { parseSeedRange, writeEvalSet } from '../../engine/core/synthetic/eval-set.ts';
import { resolveFfmpeg } from '../../engine/core/video/ffmpeg-path.ts';
import { prepareVideo } from '../../engine/core/video/prepare-video.ts';
import { loadPreprocessConfig } from '../../engine/core/video/preprocess-config.ts';
import type { PolicyName } from '../../electron/contract.ts';

const POOLED = 4;
const CELL = SIZE / POOLED;

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    if (def === undefined) throw new Error(`--${name} is required`);
    return def;
  }
  return process.argv[i + 1];
}

/** For each visual token id (frame-major, 16 per frame): bit mask of the objects covering >= 8 px of its cell. */
function tokenObjects(scene: Scene, frameIndices: readonly number[]): Uint8Array {
  const out = new Uint8Array(frameIndices.length * POOLED * POOLED);
  for (const [f, n] of frameIndices.entries()) {
    const px = renderFrame(scene, n);
    for (const [oi, o] of scene.objects.entries()) {
      const rgb = COLOURS[o.colour].rgb;
      for (let cy = 0; cy < POOLED; cy++) {
        for (let cx = 0; cx < POOLED; cx++) {
          let count = 0;
          for (let y = cy * CELL; y < (cy + 1) * CELL; y++) {
            for (let x = cx * CELL; x < (cx + 1) * CELL; x++) {
              const a = (y * SIZE + x) * 3;
              if (px[a] === rgb[0] && px[a + 1] === rgb[1] && px[a + 2] === rgb[2]) count++;
            }
          }
          if (count >= 8) out[f * POOLED * POOLED + cy * POOLED + cx] |= 1 << oi;
        }
      }
    }
  }
  return out;
}

function seen(ids: ArrayLike<number>, objs: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < ids.length; i++) m |= objs[ids[i]] ?? 0;
  let c = 0;
  for (; m; m &= m - 1) c++;
  return c;
}

function parseConfig(spec: string): SparseSettings & { label: string } {
  const [head, retrieval] = spec.split('/');
  const [policy, sp] = head.split('@');
  const [p, r] = (sp ?? '0:0').split(':').map(Number);
  return {
    label: spec, policy: policy as PolicyName, prefillSparsity: p || 0, decodeSparsity: r || 0, perFrameFloor: 0, history: 'none',
    ...(retrieval ? { retrieval: parseRetrievalSpec(retrieval) } : {}),
  };
}

async function main(): Promise<void> {
  const modelDir = arg('model');
  const seeds = parseSeedRange(arg('set', '0:20'));
  if (!seeds) throw new Error('--set A:B');
  const configs = arg('configs', 'dense,prefill-only@0.75,sparsevila@0.75:0.5,sparsevila@0.75:0.75,sparsevila@0.75:0.9').split(',').map(parseConfig);
  const dir = mkdtempSync(join(tmpdir(), 'sv-describe-'));
  const set = await writeEvalSet(dir, seeds, resolveFfmpeg().ffmpeg);
  const model = await loadModel(modelDir, { backend: 'cpu' });
  const preprocess = loadPreprocessConfig(modelDir);
  type Pos = { n: number; named: number; layers: number; mass: number; firstFrame: number };
  const pos = new Map<string, Pos[]>(configs.map((c) => [c.label, Array.from({ length: 4 }, () => ({ n: 0, named: 0, layers: 0, mass: 0, firstFrame: 0 }))]));
  const perLayer = new Map<string, number[]>(configs.map((c) => [c.label, []]));
  type Acc = { n: number; ok: number; wordsRight: number; words: number; objects: number; retained: number; retrievedMean: number; retrievedMin: number; retrievedCount: number; missAtMissing: number; misses: number };
  const acc = new Map<string, Acc>(configs.map((c) => [c.label, { n: 0, ok: 0, wordsRight: 0, words: 0, objects: 0, retained: 0, retrievedMean: 0, retrievedMin: 0, retrievedCount: 0, missAtMissing: 0, misses: 0 }]));
  try {
    for (const item of set.items) {
      const scene = makeScene(item.seed);
      const q = describeQuestion(scene);
      const video = await prepareVideo(join(dir, item.video), { sampling: { mode: 'uniform', frames: 16 }, preprocess, thumbnailWidth: 0, cacheDir: null });
      const objs = tokenObjects(scene, video.frameIndices);
      const order = [...scene.objects.keys()].sort((a, b) => scene.objects[a].start - scene.objects[b].start);
      for (const c of configs) {
        const session = await ChatSession.create(model, video, { sparse: c });
        const sp = session.policy;
        try {
          const r = await session.ask(q.question, { maxNewTokens: 12, temperature: 0, topP: 1, seed: 0 });
          const m = r.measure;
          // the question's per-layer scores over the retained visual tokens (the controller keeps them until the next turn)
          const ctl = (sp as unknown as { controller: { scoreSums: (Float64Array | null)[]; scoreRows: number[] } }).controller;
          const scores = ctl.scoreSums.every((x) => x) ? ctl.scoreSums.map((x, l) => ({ ids: m.retainedIds, w: x!.map((v) => v / ctl.scoreRows[l]) })) : null;
          const a = acc.get(c.label)!;
          const want = q.answer.split(' ');
          const got = r.answer.trim().toLowerCase().split(/\s+/);
          let right = 0;
          while (right < want.length && got[right] === want[right]) right++;
          a.n++;
          if (right === want.length && got.length === want.length) a.ok++;
          a.wordsRight += right;
          a.words += want.length;
          a.objects += scene.objects.length;
          a.retained += seen(m.retainedIds, objs);
          const retainedSet = new Set(Array.from(m.retainedIds));
          for (const [k, oi] of order.entries()) {
            const p = pos.get(c.label)![k];
            const bit = 1 << oi;
            p.n++;
            if (right >= 2 * (k + 1)) p.named++;
            const sets = m.retrievedByLayer ?? [m.retainedIds];
            p.layers += sets.filter((ids) => Array.from(ids).some((id) => objs[id] & bit)).length / sets.length;
            const first = video.frameIndices.findIndex((n) => n >= scene.objects[oi].start && n < scene.objects[oi].start + scene.objects[oi].length);
            if (first >= 0 && Array.from({ length: 16 }, (_, j) => first * 16 + j).some((id) => objs[id] & bit && retainedSet.has(id))) p.firstFrame++;
            if (scores) p.mass += scores.reduce((s, sc) => {
              let on = 0, all = 0;
              for (let i = 0; i < sc.ids.length; i++) { all += sc.w[i]; if (objs[sc.ids[i]] & bit) on += sc.w[i]; }
              return s + (all > 0 ? on / all : 0);
            }, 0) / scores.length;
          }
          if (m.retrievedByLayer) {
            const per = m.retrievedByLayer.map((ids) => seen(ids, objs));
            const pl = perLayer.get(c.label)!;
            per.forEach((x, l) => { pl[l] = (pl[l] ?? 0) + x; });
            a.retrievedMean += per.reduce((s, x) => s + x, 0) / per.length;
            a.retrievedMin += Math.min(...per);
            a.retrievedCount += m.retrievedByLayer[0].length;
            if (right < want.length) {
              // the first wrong word belongs to object order[floor(right/2)]: was it missing from some layer's set?
              const bit = 1 << order[Math.floor(right / 2)];
              a.misses++;
              if (m.retrievedByLayer.some((ids) => !Array.from(ids).some((id) => objs[id] & bit))) a.missAtMissing++;
            }
          } else {
            a.retrievedMean += seen(m.retainedIds, objs);
            a.retrievedMin += seen(m.retainedIds, objs);
            a.retrievedCount += m.retainedIds.length;
          }
        } finally {
          session.dispose();
        }
      }
      process.stderr.write(`\rvideo ${item.seed}`);
    }
  } finally {
    model.dispose();
  }
  process.stderr.write('\n');
  console.log('| config | describe exact | words right | objects | seen by retained | tokens per layer | seen by retrieved (mean layer) | (worst layer) | first error on an object some layer missed |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const f = (x: number, n: number) => (x / Math.max(1, n)).toFixed(2);
  for (const [label, a] of acc) {
    console.log(`| ${label} | ${((100 * a.ok) / a.n).toFixed(1)}% | ${((100 * a.wordsRight) / a.words).toFixed(1)}% | ${f(a.objects, a.n)} | ${f(a.retained, a.n)} | ${f(a.retrievedCount, a.n)} | ${f(a.retrievedMean, a.n)} | ${f(a.retrievedMin, a.n)} | ${a.misses ? `${a.missAtMissing}/${a.misses}` : '-'} |`);
  }
  console.log('\nObjects seen by each layer\'s retrieved set (mean over videos), layer 0 first:\n');
  for (const [label, pl] of perLayer) if (pl.length) console.log(`- ${label}: ${pl.map((x) => f(x, acc.get(label)!.n)).join(' ')}`);
  const pc = (x: number, n: number) => (n ? `${((100 * x) / n).toFixed(0)}%` : '-');
  console.log('\nBy the object\'s place in the answer (1st..4th to appear): named right (answer right up to it) / layers whose retrieved set shows it / question attention mass on it (layer mean, share of the visual mass) / retained tokens show its first visible frame\n');
  console.log('| config | 1st | 2nd | 3rd | 4th |');
  console.log('|---|---|---|---|---|');
  for (const [label, ps] of pos) {
    console.log(`| ${label} | ${ps.map((p) => `${pc(p.named, p.n)} / ${pc(p.layers, p.n)} / ${p.mass ? pc(p.mass, p.n) : '-'} / ${pc(p.firstFrame, p.n)}`).join(' | ')} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
