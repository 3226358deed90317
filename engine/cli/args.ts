// Tiny flag parser shared by the subcommands: --name value, --flag, positional rest.

export class UsageError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  positional: string[];
}

export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) { flags.set(a.slice(2, eq), a.slice(eq + 1)); continue; }
      const name = a.slice(2);
      if (booleans.includes(name) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) flags.set(name, true);
      else flags.set(name, argv[++i]);
    } else positional.push(a);
  }
  return { flags, positional };
}

/** A typo'd option must not be silently ignored: every option given has to appear as `--name` in the command's help. */
export function rejectUnknownOptions(a: ParsedArgs, help: string): void {
  for (const name of a.flags.keys()) {
    if (name === 'help') continue;
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (!new RegExp(`--${escaped}(?![\\w-])`).test(help)) throw new UsageError(`unknown option --${name} (see --help)`);
  }
}

export function str(a: ParsedArgs, name: string, required = false): string | undefined {
  const v = a.flags.get(name);
  if (v === undefined) {
    if (required) throw new UsageError(`missing --${name}`);
    return undefined;
  }
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function int(a: ParsedArgs, name: string, def?: number): number | undefined {
  const v = str(a, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${v}"`);
  return n;
}

export function float(a: ParsedArgs, name: string, def?: number): number | undefined {
  const v = str(a, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}
