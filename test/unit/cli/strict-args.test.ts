// Strict option parsing (node:util parseArgs over each command's declared options): unknown options, missing values,
// values given to switches and stray arguments are refused, and `sparsevila` prints the command's usage with exit 2.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommandArgs, str, UsageError, wantsHelp } from '../../../engine/cli/args.ts';
import { LOGITS_HELP } from '../../../engine/cli/logits.ts';
import { MAKE_CHECKPOINT_HELP } from '../../../engine/cli/make-checkpoint.ts';
import { main } from '../../../engine/cli/main.ts';
import { parseServeArgs, SERVE_USAGE } from '../../../engine/cli/serve.ts';

const spec = { strings: ['model', 'frames'], booleans: ['json'] };
const usage = 'tool --model DIR [--frames N] [--json]';
const refused = (argv: string[]) => {
  try {
    parseCommandArgs(argv, spec, usage);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).usage).toBe(usage);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

afterEach(() => vi.restoreAllMocks());

describe('strict CLI parsing', () => {
  it('reads declared options in both spellings', () => {
    const a = parseCommandArgs(['--model', 'm', '--frames=8', '--json'], spec, usage);
    expect([...a.flags]).toEqual([['model', 'm'], ['frames', '8'], ['json', true]]);
    expect(a.positional).toEqual([]);
  });

  it('refuses unknown options, missing values, values on switches and stray arguments', () => {
    expect(refused(['--model', 'm', '--frame', '8'])).toBe('unknown option --frame');
    expect(refused(['--model'])).toBe('--model needs a value');
    expect(refused(['--model', '--json'])).toBe('--model needs a value');
    expect(refused(['--json=yes'])).toBe('--json takes no value');
    expect(refused(['--model', 'm', 'extra'])).toBe('unexpected argument "extra"');
    expect(() => str(parseCommandArgs([], spec, usage), 'model', true)).toThrow(new UsageError('missing --model', usage));
  });

  it('takes as many positionals as declared', () => {
    expect(parseCommandArgs(['clip.mp4', '--json'], { ...spec, positionals: 1 }, usage).positional).toEqual(['clip.mp4']);
    expect(() => parseCommandArgs(['a.mp4', 'b.mp4'], { ...spec, positionals: 1 }, usage)).toThrow('unexpected argument "b.mp4"');
  });

  it('sees --help / -h anywhere', () => {
    expect(wantsHelp(['--model', 'm', '-h'])).toBe(true);
    expect(wantsHelp(['--model', 'm'])).toBe(false);
  });

  it('serve refuses unknown options and a bad port with its usage', () => {
    expect(() => parseServeArgs(['--prot', '80'])).toThrow(new UsageError('unknown option --prot', SERVE_USAGE));
    expect(() => parseServeArgs(['--port', '70000'])).toThrow('--port must be an integer from 0 to 65535');
    expect(() => parseServeArgs(['--port'])).toThrow('--port needs a value');
    expect(parseServeArgs(['--port', '8700', '--host', '127.0.0.1'])).toMatchObject({ port: 8700, host: '127.0.0.1' });
  });

  it.each([
    ['logits', ['--model', 'm', '--inputs', 'i', '--out', 'o', '--bakend', 'cpu'], 'unknown option --bakend', LOGITS_HELP],
    ['make-checkpoint', ['--out'], '--out needs a value', MAKE_CHECKPOINT_HELP],
    ['make-checkpoint', ['--out', 'x', '--dtype', 'f8'], '--dtype must be f32, f16 or bf16 (got f8)', MAKE_CHECKPOINT_HELP],
    ['serve', ['--data'], '--data needs a value', SERVE_USAGE],
  ])('`sparsevila %s` prints the error and the usage, exit 2', async (name, argv, message, help) => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main([name, ...argv])).toBe(2);
    expect(err).toHaveBeenCalledWith(`sparsevila ${name}: ${message}\n\n${help}`);
  });
});
