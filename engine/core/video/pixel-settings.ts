// What every HF image / video processor file says about pixel values, whichever family: the resize filter and the
// rescale + normalize constants (resample, rescale_factor, do_rescale, do_normalize, image_mean, image_std).
import type { VideoError } from './errors.ts';
import { resampleFromPil, type ResampleFilter } from './resize.ts';

export type Rgb = [number, number, number];

export interface PixelSettings {
  resample: ResampleFilter;
  rescaleFactor: number;
  doRescale: boolean;
  doNormalize: boolean;
  mean: Rgb;
  std: Rgb;
}

/** `bad` turns a problem into the caller's error (naming the file); mean / std default to the processor class's. */
export function parsePixelSettings(json: Record<string, unknown>, bad: (msg: string) => VideoError, defaults: { mean: Rgb; std: Rgb }): PixelSettings {
  const triple = (key: string, fallback: Rgb): Rgb => {
    const v = json[key] ?? fallback;
    if (typeof v === 'number') return [v, v, v];
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return [v[0], v[1], v[2]];
    throw bad(`${key} must be a number or 3 numbers`);
  };
  let resample: ResampleFilter;
  try {
    resample = resampleFromPil(typeof json.resample === 'number' ? json.resample : 3);
  } catch (e) {
    throw bad((e as Error).message);
  }
  const std = triple('image_std', defaults.std);
  if (std.some((s) => !(s > 0))) throw bad('image_std must be positive');
  return {
    resample,
    rescaleFactor: typeof json.rescale_factor === 'number' ? json.rescale_factor : 1 / 255,
    doRescale: json.do_rescale !== false,
    doNormalize: json.do_normalize !== false,
    mean: triple('image_mean', defaults.mean),
    std,
  };
}
