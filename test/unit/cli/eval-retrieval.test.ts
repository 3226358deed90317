// `sparsevila eval` passes every retrieval setting through (the flags chat takes, --retrieval as a list of specs over
// them) to both worlds, and states the budget floor (minRetrieved) in its output and JSON.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseCommandArgs } from '../../../engine/cli/args.ts';
import { EVAL_HELP, EVAL_OPTIONS, evalCommand, type EvalResults } from '../../../engine/cli/eval.ts';
import { evalRetrievals, withEvalRetrievals } from '../../../engine/cli/eval-configs.ts';
import { resultsTableV2, runEvalV2, v2Configs } from '../../../engine/cli/eval-v2.ts';
import { MAX_TURNS_V2, evalItemV2 } from '../../../engine/core/synthetic/questions-v2.ts';
import { evalConfigs } from '../../../engine/cli/eval.ts';
import { DEFAULT_RETRIEVAL } from '../../../engine/core/sparse/retrieval-settings.ts';

const TOY_MODEL = new URL('../../../assets/models/sparsevila-toy-shapes', import.meta.url).pathname;
const parse = (argv: string[]) => parseCommandArgs(['--model', 'm', '--set', '0:1', ...argv], EVAL_OPTIONS, EVAL_HELP);

describe('eval retrieval settings', () => {
  it('reads the retrieval flags as the base that each --retrieval spec varies', () => {
    const { base, list } = evalRetrievals(parse(['--min-retrieved', '3', '--refresh-every', '8', '--retrieval', 'shared,refresh,refresh=4,top-p=0.5',
      '--retrieval-mass', '0.8', '--page-size', '4', '--fastv-layer', '1']));
    expect(base).toMatchObject({ mode: DEFAULT_RETRIEVAL.mode, minRetrieved: 3, refreshEvery: 8, mass: 0.8, pageSize: 4, fastvLayer: 1 });
    expect(list.map((r) => [r.mode, r.minRetrieved, r.refreshEvery, r.mass])).toEqual([
      ['shared', 3, 8, 0.8], ['refresh', 3, 8, 0.8], ['refresh', 3, 4, 0.8], ['top-p', 3, 8, 0.5]]);
    expect(evalRetrievals(parse([])).list).toEqual([evalRetrievals(parse([])).base]);
  });

  it('refuses bad retrieval values naming the flag, before rendering or loading anything', async () => {
    expect(() => evalRetrievals(parse(['--min-retrieved', '0']))).toThrow(/minRetrieved must be an integer >= 1/);
    expect(() => evalRetrievals(parse(['--retrieval-mass', 'lots']))).toThrow(/--retrieval-mass expects a number/);
    expect(() => evalRetrievals(parse(['--retrieval', 'sideways']))).toThrow(/retrieval must be one of/);
    expect(() => evalRetrievals(parse(['--retrieval', ',']))).toThrow(/--retrieval is empty/);
    for (const world of ['v1', 'v2']) {
      await expect(evalCommand(['--model', '/nonexistent', '--set', '0:1', '--world', world, '--page-size', '0'])).rejects.toThrow(/pageSize must be an integer >= 1/);
    }
  });

  it('runs sparsevila once per retrieval and gives the other policies the base', () => {
    const { base, list } = evalRetrievals(parse(['--min-retrieved', '2', '--retrieval', 'per-layer,shared']));
    const v1 = withEvalRetrievals(evalConfigs(['dense', 'query-prune', 'sparsevila'], [[0.75, 0.9]]), base, list);
    expect(v1.map((c) => [c.policy, c.retrieval?.mode, c.retrieval?.minRetrieved])).toEqual([
      ['dense', base.mode, 2], ['query-prune', base.mode, 2], ['sparsevila', 'per-layer', 2], ['sparsevila', 'shared', 2],
      ['prefill-only', base.mode, 2]]);
    expect(v1.at(-1)).toMatchObject({ prefillSparsity: 0.975, decodeSparsity: 0, matches: [0.75, 0.9] });
    const v2 = withEvalRetrievals(v2Configs(['sparsevila'], [[0.75, 0.9]]), base, list);
    expect(v2.map((c) => c.label)).toEqual(['sparsevila p=0.75 r=0.9 per-layer', 'sparsevila p=0.75 r=0.9 shared',
      "prefill-only p=0.975 (sparsevila p=0.75 r=0.9's decode count)", 'trivial (most common answer per type)']);
  });

  it('world v2 results state the budget floor', async () => {
    const { base, list } = evalRetrievals(parse(['--min-retrieved', '4']));
    const set = { world: 'sparsevila-world-v2' as const, fps: 4, frames: 64, size: 128,
      items: [{ seed: 3, video: 'v.mp4', conversation: evalItemV2(3, MAX_TURNS_V2).conversation }] };
    const configs = withEvalRetrievals(v2Configs(['sparsevila'], [[0.75, 0.9]]), base, list);
    const seen: (number | undefined)[] = [];
    const r = await runEvalV2({ name: 'm', device: 'cpu' }, set, '/nowhere', async (_v, c, qs) => {
      seen.push(c.retrieval?.minRetrieved);
      return qs.map((q) => ({ answer: q.answer }));
    }, { frames: 32, turns: 2, configs });
    expect(seen).toEqual([4, 4]);
    expect(r.minRetrieved).toBe(4);
    expect(resultsTableV2(r)).toContain('at least 4 (--min-retrieved)');
  });

  it('v1 on the toy model: the decoder reads the stated floor when the budget rounds below it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sv-eval-retrieval-'));
    const out = join(dir, 'r.json');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let printed = '';
    try {
      await evalCommand(['--model', TOY_MODEL, '--set', '1000:1001', '--write-set', join(dir, 'set'), '--policies', 'sparsevila',
        '--sparsities', '0.75:0.99', '--min-retrieved', '5', '--retrieval', 'per-layer,shared', '--single', '0', '--describe', '--backend', 'cpu',
        '--threads', '1', '--out', out]);
      printed = write.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      write.mockRestore();
    }
    const r = JSON.parse(readFileSync(out, 'utf8')) as EvalResults;
    expect(r.minRetrieved).toBe(5);
    expect(r.configs.map((c) => c.label)).toEqual(['sparsevila p=0.75 r=0.99 per-layer', 'sparsevila p=0.75 r=0.99 shared',
      "prefill-only p=0.9975 (sparsevila p=0.75 r=0.99's decode count)"]);
    // 64 retained, round(0.01 * 64) = 1 -> the floor 5
    for (const c of r.configs.slice(0, 2)) {
      expect(c.visualTokensRetained).toBe(64);
      expect(c.visualTokensRead).toBe(5);
      expect(c.retrieval?.minRetrieved).toBe(5);
      expect(Object.values(c.byType).reduce((s, t) => s + t.total, 0)).toBe(4);
      expect(c.byType.describe.total).toBe(1);
      for (const t of Object.values(c.byType)) expect(t.partial).toBeGreaterThanOrEqual(t.correct);
    }
    expect(printed).toContain('at least 5 (--min-retrieved)');
  }, 120_000);
});
