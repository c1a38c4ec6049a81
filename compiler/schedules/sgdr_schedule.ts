import type { Args, Value } from "../check/types.js";
import { union, type ScheduleDef } from "../registry/define.js";
import { cosineDecay, cosineRange } from "./cosine_decay_schedule.js";
import { joinAt } from "./join_schedules.js";
import { polynomial, polynomialRange } from "./polynomial_schedule.js";

/** One cycle's warmup_cosine_decay_schedule keyword arguments. */
interface Cycle {
  init_value: number;
  peak_value: number;
  warmup_steps: number;
  decay_steps: number;
  end_value: number;
  exponent: number;
}

const REQUIRED = ["init_value", "peak_value", "warmup_steps", "decay_steps"] as const;
const DEFAULTS = { end_value: 0.0, exponent: 1.0 };
const KEYS = new Set<string>([...REQUIRED, ...Object.keys(DEFAULTS)]);
const WHOLE = new Set(["warmup_steps", "decay_steps"]);

function cycles(v: Value | undefined): Cycle[] {
  if (v?.k !== "list") return [];
  return v.items.map((item) => {
    const c: Record<string, number> = { ...DEFAULTS };
    if (item.k === "map") for (const [k, x] of item.entries) if (k.k === "string" && x.k === "number") c[k.v] = x.v;
    return c as unknown as Cycle;
  });
}

/** What is wrong with one cycle's keyword map, if anything (warmup_cosine_decay_schedule's own rules included). */
function cycleProblem(item: Value, i: number): string | undefined {
  if (item.k !== "map") return undefined;
  const keys = item.entries.map(([k]) => (k.k === "string" ? k.v : ""));
  const unknown = keys.find((k) => !KEYS.has(k));
  if (unknown !== undefined) return `cycle ${i}: unknown key "${unknown}" (warmup_cosine_decay_schedule takes ${[...KEYS].join(", ")})`;
  const missing = REQUIRED.find((k) => !keys.includes(k));
  if (missing) return `cycle ${i}: "${missing}" is required`;
  const c = cycles({ k: "list", items: [item], span: item.span })[0];
  for (const k of WHOLE) if (!(Number.isInteger(c[k as keyof Cycle]) && c[k as keyof Cycle] >= 0)) return `cycle ${i}: ${k} must be a whole number >= 0`;
  if (!(c.decay_steps > c.warmup_steps)) return `cycle ${i}: decay_steps must be greater than warmup_steps (it includes the warmup)`;
  if (!(c.exponent >= 0)) return `cycle ${i}: exponent must be >= 0: the cosine factor reaches 0 at the end of the decay, and 0 to a negative power is infinite`;
  return undefined;
}

export const def: ScheduleDef = {
  name: "sgdr_schedule",
  category: "schedule",
  module: "optax",
  doc: 'Warm restarts: warmup_cosine_decay_schedule cycles ([{"init_value": 0, "peak_value": 0.1, "warmup_steps": 10, "decay_steps": 100}, ...]) joined at their cumulative decay_steps.',
  params: [
    {
      name: "cosine_kwargs",
      kind: { t: "list", of: { t: "map", key: { t: "string" }, value: { t: "number" } } },
      check: (v) => {
        if (v.k !== "list") return undefined;
        if (v.items.length === 0) return "give at least one cycle";
        for (const [i, item] of v.items.entries()) {
          const problem = cycleProblem(item, i);
          if (problem) return problem;
        }
        return undefined;
      },
    },
  ],
  lower: (b, a, count) => {
    const cs = cycles(a.value("cosine_kwargs"));
    const boundaries: number[] = [];
    let step = 0;
    for (const c of cs) boundaries.push((step += c.decay_steps));
    return joinAt(
      b,
      count,
      cs.map((c) => (n) => {
        const alpha = c.peak_value === 0 ? 0 : c.end_value / c.peak_value;
        return joinAt(b, n, [(x) => polynomial(b, b.const(c.init_value), b.const(c.peak_value), 1, c.warmup_steps, 0, x), (x) => cosineDecay(b, c.peak_value, c.decay_steps - c.warmup_steps, alpha, c.exponent, x)], [c.warmup_steps]);
      }),
      boundaries.slice(0, -1),
    );
  },
  range: (args: Args) =>
    union(
      ...cycles(args.cosine_kwargs).map((c) =>
        union(polynomialRange(c.init_value, c.peak_value, 1, c.warmup_steps, 0), cosineRange(c.peak_value, c.peak_value === 0 ? 0 : c.end_value / c.peak_value, c.exponent)),
      ),
    ),
};
