// Option parsing shared by the subcommands: node:util parseArgs in strict mode over the options each command declares,
// so an unknown option (a typo), an option without its value, or a stray argument is refused with the command's usage
// instead of silently falling back to a default. Typed readers (str/int/float) check the values.
import { parseArgs as parseNodeArgs } from 'node:util';
import type { VisionPrecision } from '../core/models/siglip-w8.ts';

export class UsageError extends Error {
  /** The command's usage, printed under the message by `sparsevila` (empty when the message says it all). */
  usage: string;
  constructor(msg: string, usage = '') {
    super(msg);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  /** Values of the options that may be given several times (CommandOptions.lists), in order. */
  lists: Map<string, string[]>;
  positional: string[];
  /** The command's usage, attached to the errors the readers below throw. */
  usage?: string;
}

/** A command's options: names of the options that take a value, and of the on/off switches. */
export interface CommandOptions {
  strings: readonly string[];
  booleans?: readonly string[];
  /** Options that take a value and may be repeated (e.g. --calib A --calib B). */
  lists?: readonly string[];
  /** How many positional arguments the command takes (default none). */
  positionals?: number;
}

/** `--help` / `-h` anywhere asks for the usage (even beside other mistakes). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

/** Parses `argv` strictly against `spec`; throws UsageError (carrying `usage`) on anything the command does not take. */
export function parseCommandArgs(argv: readonly string[], spec: CommandOptions, usage: string): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const n of spec.strings) options[n] = { type: 'string' };
  for (const n of spec.lists ?? []) options[n] = { type: 'string', multiple: true };
  for (const n of spec.booleans ?? []) options[n] = { type: 'boolean' };
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: [...argv], options, strict: true, allowPositionals: (spec.positionals ?? 0) > 0 });
  } catch (err) {
    throw new UsageError(explainParseError(err as Error & { code?: string }), usage);
  }
  if (parsed.positionals.length > (spec.positionals ?? 0)) {
    throw new UsageError(`unexpected argument "${parsed.positionals[spec.positionals ?? 0]}"`, usage);
  }
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  for (const [k, v] of Object.entries(parsed.values)) {
    if (Array.isArray(v)) lists.set(k, v.map(String));
    else if (v !== undefined && v !== false) flags.set(k, v === true ? true : String(v));
  }
  return { flags, lists, positional: parsed.positionals, usage };
}

/** node:util's messages, in the CLI's words (and without its advice about `--`). */
function explainParseError(err: Error & { code?: string }): string {
  const name = /'(-[^' ]+)/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${name}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(err.message) ? `${name} takes no value` : `${name} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${/'([^']*)'/.exec(err.message)?.[1] ?? ''}"`;
    default:
      return err.message;
  }
}

export function str(a: ParsedArgs, name: string, required = false): string | undefined {
  const v = a.flags.get(name);
  if (v === undefined) {
    if (required) throw new UsageError(`missing --${name}`, a.usage);
    return undefined;
  }
  if (v === true) throw new UsageError(`--${name} needs a value`, a.usage);
  return v;
}

/** --backend's values (BackendChoice). */
export const BACKENDS = ['cpu', 'cuda', 'auto'] as const;

/** A value from a fixed set (e.g. --backend cpu|cuda|auto). */
export function oneOf<T extends string>(a: ParsedArgs, name: string, choices: readonly T[], def: T): T {
  const v = str(a, name) ?? def;
  if (!(choices as readonly string[]).includes(v)) throw new UsageError(`--${name} must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)} (got ${v})`, a.usage);
  return v as T;
}

/** --vision-bits 16|8 (chat, eval, bench, logits): the vision tower's precision (LoadModelOptions.visionPrecision). */
export function visionPrecision(a: ParsedArgs): VisionPrecision {
  return oneOf(a, 'vision-bits', ['16', '8'] as const, '16') === '8' ? '8bit' : '16bit';
}

export function int(a: ParsedArgs, name: string, def?: number): number | undefined {
  const v = str(a, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${v}"`, a.usage);
  return n;
}

export function float(a: ParsedArgs, name: string, def?: number): number | undefined {
  const v = str(a, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`, a.usage);
  return n;
}
