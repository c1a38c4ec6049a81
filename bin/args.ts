/** A small, strict argument parser: `--key=value`, `--key value`, flags, and positionals. */
import { escapeUnsafe } from "../dsl/format.js";

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

/** A value from the command line as a message quotes it: control characters escaped, long values cut. */
export function show(value: string, max = 80): string {
  return escapeUnsafe(value.length > max ? `${value.slice(0, max)}…` : value);
}

export function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>): Parsed {
  // No prototype: `--constructor` or `--__proto__` are unknown options like any other.
  const out: Parsed = { positionals: [], options: Object.create(null) as Record<string, string | true>, errors: [] };
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
        out.errors.push(`unknown option ${show(a)}`);
        continue;
      }
    } else {
      out.positionals.push(a);
      continue;
    }
    const s = Object.hasOwn(spec, key) ? spec[key] : undefined;
    if (!s) {
      out.errors.push(`unknown option --${show(key)}`);
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

/** A decimal number as people write one: digits, an optional fraction and exponent, an optional sign. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `--x0=1,2,3`: comma-separated finite decimal numbers, nothing else (no spaces, no empty items,
 * no hex, no Infinity); undefined when the option is absent.
 */
export function numbers(s: string | true | undefined, what: string): number[] | undefined {
  if (s === undefined) return undefined;
  if (s === true) throw new UsageError(`--${what} needs values`);
  const parts = s.split(",");
  const bad = parts.find((x) => !DECIMAL.test(x) || !Number.isFinite(Number(x)));
  if (bad !== undefined) {
    const why = bad === "" ? "an empty item" : `'${show(bad, 30)}'`;
    throw new UsageError(`--${what} takes comma-separated decimal numbers without spaces (e.g. --${what}=-1,10,1), got ${why} in '${show(s)}'`);
  }
  return parts.map(Number);
}

/** `--steps 5`: a positive integer in plain decimal digits (not 0x2, 1e1, " 3" or 2.0). */
export function positiveInt(s: string | true | undefined, what: string, def: number): number {
  return integer(s, what, def, 1);
}

/** An integer >= min in plain decimal digits, at most Number.MAX_SAFE_INTEGER. */
export function integer(s: string | true | undefined, what: string, def: number, min: number): number {
  if (s === undefined) return def;
  const n = typeof s === "string" && /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    const kind = min === 1 ? "a positive integer" : `an integer >= ${min}`;
    throw new UsageError(`--${what} takes ${kind} in decimal digits, got ${s === true ? "nothing" : `'${show(s)}'`}`);
  }
  return n;
}

/** What `--problem`, `--x0` and `--target` say about the toy problem (optc trace, optc golden record). */
export interface ProblemOptions {
  problem: string;
  x0: number[] | undefined;
  target: number[] | undefined;
}

/**
 * Reads and cross-checks the problem options: --target is the quadratic's alone, and has as many
 * values as the params (--x0, or the quadratic's 3 by default); rosenbrock has 2 params.
 */
export function problemOptions(p: Parsed, problems: readonly string[]): ProblemOptions {
  const problem = p.options.problem === undefined ? "quadratic" : p.options.problem;
  if (problem === true || !problems.includes(problem)) throw new UsageError(`unknown problem '${problem === true ? "" : show(problem)}' (problems: ${problems.join(", ")})`);
  const x0 = numbers(p.options.x0, "x0");
  const target = numbers(p.options.target, "target");
  if (target !== undefined) {
    if (problem !== "quadratic") throw new UsageError(`--target is for --problem quadratic; ${problem} has no target`);
    const n = x0?.length ?? 3;
    if (target.length !== n) throw new UsageError(`--target has ${target.length} value${target.length === 1 ? "" : "s"} but there are ${n} params (${x0 ? "--x0" : "the default x0 -1,10,1"}); give one target per param`);
  }
  if (problem === "rosenbrock" && x0 !== undefined && x0.length !== 2) throw new UsageError("rosenbrock needs --x0 with 2 values");
  return { problem, x0, target };
}
