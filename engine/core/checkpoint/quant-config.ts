// config.json's quantization_config (top level, or inside text_config where some exporters put it): the AutoAWQ
// 4-bit "gemm" checkpoints this engine loads, and which modules stay 16-bit (modules_to_not_convert).
import { ConfigError } from '../models/config-fields.ts';

export interface AwqConfig {
  groupSize: number;
  /** Module-name patterns that stay 16-bit, as written in the file. */
  modulesToNotConvert: string[];
}

const SUPPORTED = 'supported: {"quant_method": "awq", "bits": 4, "zero_point": true, "version": "gemm", "group_size": N}';

/** The AWQ settings, or null for a 16-bit checkpoint; anything else is a ConfigError naming the field. */
export function parseQuantConfig(raw: Record<string, unknown>): AwqConfig | null {
  const top = raw.quantization_config;
  const text = (raw.text_config as Record<string, unknown> | undefined)?.quantization_config;
  if (top !== undefined && text !== undefined) {
    throw new ConfigError('quantization_config appears both at the top level and in text_config; give it once');
  }
  const q = top ?? text;
  if (q === undefined || q === null) return null;
  const where = top !== undefined ? 'quantization_config' : 'text_config.quantization_config';
  if (typeof q !== 'object' || Array.isArray(q)) throw new ConfigError(`${where} must be an object (${SUPPORTED})`);
  const c = q as Record<string, unknown>;
  const want = (field: string, ok: (v: unknown) => boolean, what: string) => {
    if (!ok(c[field])) throw new ConfigError(`${where}.${field} is ${JSON.stringify(c[field])}; ${what} (${SUPPORTED})`);
  };
  want('quant_method', (v) => typeof v === 'string' && v.toLowerCase() === 'awq', 'only AWQ checkpoints are supported');
  want('bits', (v) => v === 4, 'only 4-bit weights are supported');
  want('zero_point', (v) => v === true || v === undefined, 'only asymmetric quantization (zero points) is supported');
  want('version', (v) => v === undefined || (typeof v === 'string' && v.toLowerCase() === 'gemm'),
    'only the AutoAWQ "gemm" layout is supported (not gemv / exllama / marlin / ipex)');
  want('group_size', (v) => Number.isSafeInteger(v) && (v as number) > 0, 'it must be a positive whole number');
  const skip = c.modules_to_not_convert ?? [];
  if (!Array.isArray(skip) || skip.some((s) => typeof s !== 'string' || s === '')) {
    throw new ConfigError(`${where}.modules_to_not_convert must be a list of module names, got ${JSON.stringify(skip).slice(0, 120)}`);
  }
  return { groupSize: c.group_size as number, modulesToNotConvert: skip as string[] };
}

/** Whether a module stays 16-bit, matched as transformers 5 matches modules_to_not_convert (a pattern names the module
 *  or a module above it: a regex matched at the start of the name, with or without a following '.', or a suffix of
 *  the name), against each name the module goes by (in the file, in transformers, canonical). */
export function keptUnquantized(names: readonly string[], patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    let re: RegExp | null = null;
    try { re = new RegExp(`^(?:${p})`); } catch { re = null; }
    return names.some((n) => (re ? re.test(n) : n.startsWith(p)) || n.endsWith(p));
  });
}

/** A module's name in transformers 5's *ForConditionalGeneration models (LLaVA-OneVision, Qwen2.5-VL, Qwen3-VL: what
 *  modules_to_not_convert names): the canonical name (weights.ts) under `model.`, except lm_head. */
export function transformersModuleName(canonical: string): string {
  return canonical === 'lm_head' ? canonical : `model.${canonical}`;
}
