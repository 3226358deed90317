// sparsevila quantize --model DIR --out DIR [--method awq|rtn] [--group-size N] [--calib VIDEO ...]: a 4-bit copy of a
// 16-bit LLaVA-OneVision folder in the AutoAWQ gemm layout (engine/core/quantize), with a per-layer error report.
import { writeFileSync } from 'node:fs';
import { createBackend } from '../core/backend/create-backend.ts';
import type { BackendChoice } from '../core/models/load-model.ts';
import { DEFAULT_GROUP_SIZE } from '../core/quantize/awq-config.ts';
import { quantizeModel } from '../core/quantize/quantize-model.ts';
import { reportTable } from '../core/quantize/report-table.ts';
import { BACKENDS, int, oneOf, parseCommandArgs, str, UsageError, wantsHelp, type CommandOptions } from './args.ts';
import { progressWriter } from './progress.ts';

export const QUANTIZE_HELP = `sparsevila quantize --model DIR --out DIR [--method awq|rtn] [--group-size ${DEFAULT_GROUP_SIZE}]
  [--calib VIDEO [--calib VIDEO ...]] [--frames 8] [--rows 512] [--no-clip] [--backend cpu|cuda|auto] [--threads N]
  [--report report.json]
Quantizes the language model's linear layers to 4 bits (vision tower, projector, embeddings and lm_head stay 16-bit)
and writes the AutoAWQ "gemm" layout with config.json's quantization_config, so other tools load it too.
awq: activation-aware scales searched on calibration activations (the model run on --frames frames of each --calib
video, or of synthetic shapes-world scenes, with a few prompts), then the clip search unless --no-clip; rtn: plain
round-to-nearest. --rows: calibration rows kept per group of linears. The group size must divide the layers' inputs.`;

export const QUANTIZE_OPTIONS: CommandOptions = {
  strings: ['model', 'out', 'method', 'group-size', 'frames', 'rows', 'backend', 'threads', 'report'],
  booleans: ['no-clip'],
  lists: ['calib'],
};

export async function quantizeCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) { console.log(QUANTIZE_HELP); return 0; }
  const a = parseCommandArgs(argv, QUANTIZE_OPTIONS, QUANTIZE_HELP);
  const model = str(a, 'model', true)!, out = str(a, 'out', true)!;
  const method = oneOf(a, 'method', ['awq', 'rtn'] as const, 'awq');
  const positive = (name: string, def: number) => {
    const v = int(a, name, def)!;
    if (v <= 0) throw new UsageError(`--${name} must be a positive integer, got ${v}`, QUANTIZE_HELP);
    return v;
  };
  const groupSize = positive('group-size', DEFAULT_GROUP_SIZE), frames = positive('frames', 8), rows = positive('rows', 512);
  const backend = await createBackend(oneOf<BackendChoice>(a, 'backend', BACKENDS, 'auto'), { threads: int(a, 'threads') });
  const stderr = progressWriter();
  const labels = { calibrate: 'calibrating (prompts)', quantize: 'quantizing (layers)', write: 'copying (other tensors)' };
  const r = await quantizeModel(model, out, {
    method, groupSize, clip: !a.flags.has('no-clip'), backend,
    calibration: { videos: a.lists.get('calib') ?? [], frames, rowsPerGroup: rows },
    onProgress: (stage, done, total) => stderr.progress(labels[stage], done, total),
  });
  stderr.line(`wrote ${out}\n`);
  const report = str(a, 'report');
  if (report) writeFileSync(report, JSON.stringify(r, null, 1) + '\n');
  process.stdout.write(reportTable(r));
  return 0;
}
