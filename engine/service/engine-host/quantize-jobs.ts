// The engine process's 4-bit copies ("Make a 4-bit copy" in the model manager): one quantizeModel run per job, on
// the engine's backend, cancellable by job id. The group size is the largest of 128, 64, 32 that the model's layer
// widths allow (128 is AutoAWQ's default; small models need less).
import { join } from 'node:path';
import { createBackend } from '../../core/backend/create-backend.ts';
import { readJsonFile } from '../../core/checkpoint/load.ts';
import { parseConfig } from '../../core/models/llava-onevision-config.ts';
import { pickGroupSize } from '../../core/quantize/awq-config.ts';
import { quantizeModel } from '../../core/quantize/quantize-model.ts';
import type { QuantizeArgs, QuantizeStageEvent } from './engine-contract.ts';

/** Calibration of an in-app copy: the synthetic shapes world's frames (no video needed), a few prompts. */
const CALIBRATION = { videos: [], frames: 8, rowsPerGroup: 512 };

export class QuantizeJobs {
  private running = new Map<string, AbortController>();

  async run(args: QuantizeArgs, onProgress: (e: QuantizeStageEvent) => void): Promise<{ seconds: number; groupSize: number }> {
    if (this.running.has(args.jobId)) throw new Error(`quantize job ${args.jobId} is already running`);
    const abort = new AbortController();
    this.running.set(args.jobId, abort);
    try {
      const groupSize = pickGroupSize(parseConfig(readJsonFile(join(args.modelPath, 'config.json'))).text);
      const backend = await createBackend('auto');
      const r = await quantizeModel(args.modelPath, args.outPath, {
        method: args.method, groupSize, clip: true, backend, calibration: CALIBRATION, signal: abort.signal,
        onProgress: (stage, done, total) => onProgress({ stage, done, total }),
      });
      return { seconds: r.seconds, groupSize };
    } finally {
      this.running.delete(args.jobId);
    }
  }

  cancel(jobId: string): boolean {
    const j = this.running.get(jobId);
    j?.abort();
    return j !== undefined;
  }
}
