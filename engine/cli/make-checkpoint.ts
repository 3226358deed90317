// sparsevila make-checkpoint --out DIR [--preset tiny|small|0.5b|7b] [--seed N] [--shards N] [--dtype f32|f16|bf16]
import { makeCheckpoint } from '../core/checkpoint/make-checkpoint.ts';
import { PRESETS, type PresetName } from '../core/models/presets.ts';
import { float, int, parseArgs, rejectUnknownOptions, str, UsageError } from './args.ts';

export const MAKE_CHECKPOINT_HELP = `sparsevila make-checkpoint --out DIR [--preset ${PRESETS.join('|')}] [--seed N] [--shards N] [--dtype f32|f16|bf16] [--std X] [--hub-layout]`;

export async function makeCheckpointCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, ['help', 'hub-layout']);
  if (a.flags.has('help')) { console.log(MAKE_CHECKPOINT_HELP); return 0; }
  rejectUnknownOptions(a, MAKE_CHECKPOINT_HELP);
  const out = str(a, 'out', true)!;
  const preset = (str(a, 'preset') ?? 'tiny') as PresetName;
  if (!PRESETS.includes(preset)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}`);
  const dtype = (str(a, 'dtype') ?? 'f32') as 'f32' | 'f16' | 'bf16';
  if (!['f32', 'f16', 'bf16'].includes(dtype)) throw new UsageError('--dtype must be f32, f16 or bf16');
  const r = makeCheckpoint(out, {
    preset, dtype, seed: int(a, 'seed', 0), shards: int(a, 'shards', 1), std: float(a, 'std'),
    hubLayout: a.flags.has('hub-layout'),
  });
  console.log(`wrote ${out}: ${r.tensors} tensors, ${(r.bytes / 1e6).toFixed(1)} MB (${r.files.join(', ')})`);
  return 0;
}
