import { describe, expect, it } from 'vitest';
import type { CommandOptions } from '../../../engine/cli/args.ts';
import { BENCH_VIDEO_HELP, BENCH_VIDEO_OPTIONS } from '../../../engine/cli/bench-video.ts';
import { commands } from '../../../engine/cli/main.ts';
import { SERVE_OPTIONS, SERVE_USAGE } from '../../../engine/cli/serve.ts';
import { VIDEO_HELP, VIDEO_OPTIONS } from '../../../engine/cli/video.ts';
import { CHAT_HELP, CHAT_OPTIONS, chatCommand } from '../../../engine/cli/chat.ts';
import { BENCH_HELP, BENCH_OPTIONS, benchCommand } from '../../../engine/cli/bench.ts';
import { EVAL_HELP, EVAL_OPTIONS, evalCommand } from '../../../engine/cli/eval.ts';
import { LOGITS_HELP, LOGITS_OPTIONS, logitsCommand, MODEL_INPUT_OPTIONS } from '../../../engine/cli/logits.ts';
import { MAKE_CHECKPOINT_HELP, MAKE_CHECKPOINT_OPTIONS, makeCheckpointCommand } from '../../../engine/cli/make-checkpoint.ts';
import { SALIENCY_HELP, saliencyCommand } from '../../../engine/cli/saliency.ts';
import { QUANTIZE_HELP, QUANTIZE_OPTIONS, quantizeCommand } from '../../../engine/cli/quantize.ts';

describe('CLI options', () => {
  it("every command declares exactly the options its usage lists", () => {
    const usages: [string, string, CommandOptions][] = [
      ['bench', BENCH_HELP, BENCH_OPTIONS], ['chat', CHAT_HELP, CHAT_OPTIONS], ['eval', EVAL_HELP, EVAL_OPTIONS],
      ['logits', LOGITS_HELP, LOGITS_OPTIONS], ['saliency', SALIENCY_HELP, MODEL_INPUT_OPTIONS],
      ['make-checkpoint', MAKE_CHECKPOINT_HELP, MAKE_CHECKPOINT_OPTIONS], ['serve', SERVE_USAGE, SERVE_OPTIONS],
      ['video', VIDEO_HELP, VIDEO_OPTIONS], ['bench-video', BENCH_VIDEO_HELP, BENCH_VIDEO_OPTIONS], ['quantize', QUANTIZE_HELP, QUANTIZE_OPTIONS],
    ];
    expect(usages.map(([n]) => n).sort()).toEqual(Object.keys(commands).sort());
    for (const [name, usage, spec] of usages) {
      const listed = new Set([...usage.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
      expect([...listed].sort(), name).toEqual([...spec.strings, ...(spec.booleans ?? []), ...(spec.lists ?? [])].sort());
    }
  });

  it('chat and logits refuse unknown options and a bad --backend before loading anything', async () => {
    await expect(chatCommand(['--model', '/nonexistent', '--video', '/nonexistent.mp4', '--polcy', 'dense'])).rejects.toThrow('unknown option --polcy');
    await expect(chatCommand(['--model', '/nonexistent', '--video', '/nonexistent.mp4', '--backend', 'gpu'])).rejects.toThrow('--backend must be cpu, cuda or auto');
    await expect(logitsCommand(['--model', '/nonexistent', '--inputs', 'i', '--out', 'o', '--bakend', 'cpu'])).rejects.toThrow('unknown option --bakend');
  });

  it('bench, eval, saliency and make-checkpoint refuse unknown options too', async () => {
    await expect(benchCommand(['--synthetic', 'tiny', '--turn', '2'])).rejects.toThrow('unknown option --turn');
    await expect(evalCommand(['--model', '/nonexistent', '--set', '0:1', '--sparsity', '0.5:0.9'])).rejects.toThrow('unknown option --sparsity');
    await expect(saliencyCommand(['--model', '/nonexistent', '--inputs', 'i', '--out', 'o', '--frames', '4'])).rejects.toThrow('unknown option --frames');
    await expect(makeCheckpointCommand(['--out', '/nonexistent/x', '--presets', 'tiny'])).rejects.toThrow('unknown option --presets');
    await expect(quantizeCommand(['--model', '/nonexistent', '--out', '/nonexistent/q', '--method', 'gptq'])).rejects.toThrow('--method must be awq or rtn');
    await expect(quantizeCommand(['--model', '/nonexistent', '--out', '/nonexistent/q', '--group-size', '0'])).rejects.toThrow('--group-size must be a positive integer');
    await expect(quantizeCommand(['--model', '/nonexistent', '--out', '/nonexistent/q', '--calib'])).rejects.toThrow('--calib needs a value');
  });
});
