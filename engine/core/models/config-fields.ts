// Reading fields of a Hugging Face config.json: the error type every model's config parser throws, and the checked
// number / activation readers they share.

export type GeluKind = 'tanh' | 'erf';

export class ConfigError extends Error {
  constructor(msg: string) {
    super(`config.json: ${msg}`);
    this.name = 'ConfigError';
  }
}

export type Json = Record<string, unknown>;

export function num(o: Json, key: string, def: number | undefined, where: string): number {
  const v = o[key];
  if (v === undefined || v === null) {
    if (def === undefined) throw new ConfigError(`${where}.${key} is missing`);
    return def;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${where}.${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function posInt(o: Json, key: string, def: number | undefined, where: string): number {
  const v = num(o, key, def, where);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${where}.${key} must be a positive integer, got ${v}`);
  return v;
}

export function geluKind(act: string, where: string): GeluKind {
  if (act === 'gelu') return 'erf';
  if (act === 'gelu_pytorch_tanh' || act === 'gelu_new' || act === 'gelu_fast') return 'tanh';
  throw new ConfigError(`${where}: unsupported activation "${act}" (expected gelu or gelu_pytorch_tanh)`);
}
