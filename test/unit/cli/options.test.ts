import { describe, expect, it } from 'vitest';
import { parseArgs, rejectUnknownOptions, UsageError } from '../../../engine/cli/args.ts';
import { chatCommand } from '../../../engine/cli/chat.ts';
import { logitsCommand } from '../../../engine/cli/logits.ts';

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
});
