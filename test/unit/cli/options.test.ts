import { describe, expect, it } from 'vitest';
import { parseArgs, rejectUnknownOptions, UsageError } from '../../../engine/cli/args.ts';
import { chatCommand } from '../../../engine/cli/chat.ts';
import { benchCommand } from '../../../engine/cli/bench.ts';
import { evalCommand } from '../../../engine/cli/eval.ts';
import { logitsCommand } from '../../../engine/cli/logits.ts';
import { makeCheckpointCommand } from '../../../engine/cli/make-checkpoint.ts';
import { saliencyCommand } from '../../../engine/cli/saliency.ts';

describe('CLI options', () => {
  it('rejects an option its help does not list (a typo must not silently fall back to a default)', () => {
    const help = 'tool --model DIR [--policy P] [--prefill-sparsity P] [--json]';
    expect(() => rejectUnknownOptions(parseArgs(['--model', 'm', '--policy', 'dense', '--prefill-sparsity', '0.5', '--json', '--help']), help)).not.toThrow();
    expect(() => rejectUnknownOptions(parseArgs(['--polcy', 'dense']), help)).toThrow(UsageError);
    expect(() => rejectUnknownOptions(parseArgs(['--prefill', '0.5']), help)).toThrow('unknown option --prefill');
    expect(() => rejectUnknownOptions(parseArgs(['--mod', 'x']), help)).toThrow('unknown option --mod');
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
  });
});
