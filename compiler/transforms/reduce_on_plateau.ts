/**
 * optax.contrib.reduce_on_plateau: scales the updates by `scale`, which drops by `factor` when
 * the loss (averaged over `accumulation_size` steps, fed by step({ loss })) has not improved on
 * the best so far by rtol/atol for `patience` evaluations, then waits `cooldown` evaluations.
 * All of it is a scalar state machine on the host (float32 state, as optax keeps it: each
 * operation is rounded to float32), so every target runs it the same; the elements only see
 * `scale * g`.
 *
 * optax starts best_value at +inf; a snapshot holds finite numbers only, so optc keeps a flag
 * `has_best` (0 until the first evaluation) and best_value 0 until then: the comparisons are
 * exactly optax's with best = +inf (an evaluation improves on +inf iff its average is below
 * +inf, and never when rtol = 1, where optax's (1 - rtol)·inf is NaN).
 */
import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, numArg, param, type TransformDef } from "../registry/define.js";

/** float32's largest finite value: a float32 x < +inf iff x <= FLT_MAX. */
const FLT_MAX = 3.4028234663852886e38;

function lowerPlateau(l: Lowering, o: { factor: number; patience: number; rtol: number; atol: number; cooldown: number; accumulationSize: number; minScale: number }, g: Id): Id {
  const b = l.b;
  const f32 = (x: Id) => b.f32(x);
  const c = (x: number) => b.const(x);
  const scale = l.counter("scale", 1, true);
  const best = l.counter("best_value", 0, true);
  const hasBest = l.counter("has_best");
  const plateau = l.counter("plateau_count");
  const cooldown = l.counter("cooldown_count");
  const count = l.counter("count");
  const avg = l.counter("avg_value", 0, true);
  const loss = l.stepInput("loss");

  // Accumulate: avg' = (count·avg + value) / (count + 1), in float32 as optax does.
  const newCount = l.satInc(count.old);
  const newAvg = f32(b.div(f32(b.add(f32(b.mul(count.old, avg.old)), f32(loss))), newCount));
  const evaluate = b.binary("eq", newCount, c(o.accumulationSize));

  // _update_scale, on the accumulated average.
  const threshold = f32(b.sub(f32(b.mul(c(Math.fround(1 - o.rtol)), best.old)), c(Math.fround(o.atol))));
  const beatsInf = o.rtol < 1 ? b.binary("le", newAvg, c(FLT_MAX)) : c(0);
  const improved = b.select(hasBest.old, b.binary("lt", newAvg, threshold), beatsInf);
  const curPlateau = b.select(improved, c(0), l.satInc(plateau.old));
  const inCooldown = b.binary("gt", cooldown.old, c(0));
  const hit = b.binary("eq", curPlateau, c(o.patience));
  const reduced = b.binary("max", b.select(hit, f32(b.mul(scale.old, c(Math.fround(o.factor)))), scale.old), c(Math.fround(o.minScale)));
  const evScale = b.select(inCooldown, scale.old, reduced);
  const evPlateau = b.select(inCooldown, c(0), b.select(hit, c(0), curPlateau));
  const evCooldown = b.select(inCooldown, b.sub(cooldown.old, c(1)), b.select(hit, c(o.cooldown), c(0)));

  const newScale = b.select(evaluate, evScale, scale.old);
  scale.store(newScale);
  best.store(b.select(evaluate, b.select(improved, newAvg, best.old), best.old));
  hasBest.store(b.select(evaluate, b.binary("or", hasBest.old, improved), hasBest.old));
  plateau.store(b.select(evaluate, evPlateau, plateau.old));
  cooldown.store(b.select(evaluate, evCooldown, cooldown.old));
  count.store(b.select(evaluate, c(0), newCount));
  avg.store(b.select(evaluate, c(0), newAvg));
  return b.mul(newScale, g);
}

export const def: TransformDef = {
  name: "reduce_on_plateau",
  category: "transform",
  module: "optax.contrib",
  doc: "Scales updates by a factor that drops by `factor` when the loss, fed by step({ loss }) and averaged over accumulation_size steps, stops improving for `patience` evaluations (then waits `cooldown`); never below min_scale.",
  params: [
    param.number("factor", 0.1, { check: checks.number((x) => x > 0 && x < 1, "factor must be in (0, 1)") }),
    param.int("patience", 10, { check: checks.countFromZero("patience") }),
    param.number("rtol", 1e-4, {
      check: (v, args) => {
        if (v.k !== "number") return undefined;
        if (v.v < 0 || v.v > 1) return "rtol must be in [0, 1]";
        return v.v === 0 && numArg(args, "atol") === 0 ? "at least one of rtol and atol must be > 0" : undefined;
      },
    }),
    param.number("atol", 0.0, { check: checks.nonNegative("atol") }),
    param.int("cooldown", 0, { check: checks.countFromZero("cooldown") }),
    param.int("accumulation_size", 1, { check: checks.count("accumulation_size") }),
    param.number("min_scale", 0.0, { check: checks.nonNegative("min_scale") }),
  ],
  lower: (l, a, g) =>
    lowerPlateau(l, { factor: a.num("factor"), patience: a.num("patience"), rtol: a.num("rtol"), atol: a.num("atol"), cooldown: a.num("cooldown"), accumulationSize: a.num("accumulation_size"), minScale: a.num("min_scale") }, g),
};
