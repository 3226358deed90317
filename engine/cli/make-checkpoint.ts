// sparsevila make-checkpoint --out DIR [--preset tiny|small|0.5b|7b] [--seed N] [--shards N] [--dtype f32|f16|bf16]
//   [--weights 16bit|awq4]
import { makeCheckpoint } from '../core/checkpoint/make-checkpoint.ts';
import { PRESETS, type PresetName } from '../core/models/presets.ts';
import { float, int, oneOf, parseCommandArgs, str, wantsHelp, type CommandOptions } from './args.ts';

export const MAKE_CHECKPOINT_HELP = `sparsevila make-checkpoint --out DIR [--preset ${PRESETS.join('|')}] [--seed N] [--shards N] [--dtype f32|f16|bf16] [--std X] [--hub-layout] [--weights 16bit|awq4]
  --weights awq4: the language model's decoder linears as random 4-bit AutoAWQ layers, with quantization_config`;

export const MAKE_CHECKPOINT_OPTIONS: CommandOptions = { strings: ['out', 'preset', 'seed', 'shards', 'dtype', 'std', 'weights'], booleans: ['hub-layout'] };

export async function makeCheckpointCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) { console.log(MAKE_CHECKPOINT_HELP); return 0; }
  const a = parseCommandArgs(argv, MAKE_CHECKPOINT_OPTIONS, MAKE_CHECKPOINT_HELP);
  const out = str(a, 'out', true)!;
  const preset = oneOf<PresetName>(a, 'preset', PRESETS, 'tiny');
  const dtype = oneOf(a, 'dtype', ['f32', 'f16', 'bf16'] as const, 'f32');
  const r = makeCheckpoint(out, {
    preset, dtype, seed: int(a, 'seed', 0), shards: int(a, 'shards', 1), std: float(a, 'std'),
    hubLayout: a.flags.has('hub-layout'), weights: oneOf(a, 'weights', ['16bit', 'awq4'] as const, '16bit'),
  });
  console.log(`wrote ${out}: ${r.tensors} tensors, ${(r.bytes / 1e6).toFixed(1)} MB (${r.files.join(', ')})`);
  return 0;
}
