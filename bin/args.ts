/** A small, strict argument parser: `--key=value`, `--key value`, flags, and positionals. */

/** A mistake in the command line itself: printed with the command's help pointer, exit 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  /** Takes a value (`--steps 5` or `--steps=5`); otherwise it is a flag. */
  value?: boolean;
  short?: string;
}

export interface Parsed {
  positionals: string[];
  options: Record<string, string | true>;
  errors: string[];
}

export function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>): Parsed {
  const out: Parsed = { positionals: [], options: {}, errors: [] };
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    let key: string | undefined;
    let inline: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else if (/^-[A-Za-z]$/.test(a)) {
      key = byShort.get(a.slice(1));
      if (!key) {
        out.errors.push(`unknown option ${a}`);
        continue;
      }
    } else {
      out.positionals.push(a);
      continue;
    }
    const s = spec[key];
    if (!s) {
      out.errors.push(`unknown option --${key}`);
      continue;
    }
    if (!s.value) {
      if (inline !== undefined) out.errors.push(`--${key} takes no value`);
      out.options[key] = true;
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) out.errors.push(`--${key} needs a value`);
    else out.options[key] = v;
  }
  return out;
}

/** `--x0=1,2,3`: comma-separated finite numbers (undefined when the option is absent). */
export function numbers(s: string | true | undefined, what: string): number[] | undefined {
  if (s === undefined) return undefined;
  if (s === true) throw new UsageError(`--${what} needs values`);
  const xs = s.split(",").map((x) => Number(x.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw new UsageError(`--${what} takes comma-separated numbers, got '${s}'`);
  return xs;
}

export function positiveInt(s: string | true | undefined, what: string, def: number): number {
  if (s === undefined) return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${what} takes a positive integer, got '${String(s)}'`);
  return n;
}
