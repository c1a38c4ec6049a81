/** Text forms of each stage, for `optc check` and `optc explain`. */
import { escapeUnsafe, formatNumberLiteral } from "../dsl/format.js";
import type { CallValue, Value } from "./check/types.js";
import type { PhasePlan } from "./fuse/plan.js";
import type { LoweredConfig } from "./lower/lower.js";

function scalar(v: Value): string {
  switch (v.k) {
    case "number":
      return formatNumberLiteral(v.v, v.isInt);
    case "bool":
      return v.v ? "true" : "false";
    case "none":
      return "None";
    case "string":
      return JSON.stringify(v.v);
    case "list":
      return `[${v.items.map(scalar).join(", ")}]`;
    case "map":
      return `{${v.entries.map(([k, x]) => `${scalar(k)}: ${scalar(x)}`).join(", ")}}`;
    case "call":
      return v.category === "predicate" ? v.name : `${v.name}(${Object.entries(v.args).map(([k, x]) => `${k}=${scalar(x)}`).join(", ")})`;
  }
}

const isTransform = (v: Value): v is CallValue => v.k === "call" && v.category !== "schedule" && v.category !== "predicate";

/** The typed tree, one call per line, with every argument (defaults included). */
export function describeTree(node: CallValue, indent = ""): string[] {
  const plain = Object.entries(node.args).filter(([, v]) => !isTransform(v) && !(v.k === "list" && v.items.some(isTransform)));
  const lines = [`${indent}${node.name}(${plain.map(([k, v]) => `${k}=${scalar(v)}`).join(", ")})  @ ${node.path}`];
  for (const v of Object.values(node.args)) {
    if (isTransform(v)) lines.push(...describeTree(v, indent + "  "));
    else if (v.k === "list") for (const item of v.items) if (isTransform(item)) lines.push(...describeTree(item, indent + "  "));
  }
  return lines;
}

/** What state the optimizer keeps: per-parameter float32 slots and scalar int32 counters. */
export function describeState(l: LoweredConfig): string[] {
  const rows: [string, string, string][] = [];
  for (const a of l.layout.arenas) {
    if (a.role === "params" || a.role === "grads") continue;
    const init = "copy" in a.init ? "copy of params" : `${a.init.fill}`;
    rows.push([a.name, a.role === "scratch" ? "per-parameter float32 (scratch, not saved)" : "per-parameter float32", `init ${init}`]);
  }
  for (const c of l.layout.counters) rows.push([c.name, c.real ? "scalar float32" : "scalar int32", `init ${c.init}`]);
  for (const i of l.layout.inputs) rows.push([i.name, i.input.startsWith("hyper:") ? "runtime hyperparameter (setHyperparam)" : "step value (step({ loss }))", i.input.startsWith("hyper:") ? `init ${i.init}` : "given each step"]);
  for (const m of l.layout.masks) rows.push([`${m.owner} mask`, "per-tensor flag", escapeUnsafe(JSON.stringify(m.patterns))]);
  if (rows.length === 0) return ["  (none: the optimizer is stateless)"];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
}

export function describePlan(p: PhasePlan): string[] {
  const checkBytes = p.passes.reduce((sum, pass) => sum + pass.kernels.reduce((s, k) => s + (k.checkOnly ? 4 * (k.reads.length + k.readsBack.length + k.writes.length) : 0), 0), 0);
  const unchecked = checkBytes > 0 ? ` (${p.bytesPerElement - checkBytes} with validate: false, which skips the finiteness-only pass)` : "";
  const lines = [`phase ${p.name}: ${p.passes.length} pass${p.passes.length === 1 ? "" : "es"}, ${p.bytesPerElement} bytes per parameter per step${unchecked}`];
  p.passes.forEach((pass, i) => {
    pass.kernels.forEach((kp, j) => {
      const k = kp.kernel;
      const reds = k.reductions.map((r) => `${r.scope === "global" ? "global" : "per-tensor"} sum${r.mask !== undefined ? " (masked)" : ""}`);
      const what = pass.kernels.length === 1 ? `pass ${i}` : `pass ${i} kernel ${j}`;
      lines.push(`  ${what}: reads ${kp.reads.join(", ") || "-"}${kp.readsBack.length ? `; reads back ${kp.readsBack.join(", ")}` : ""}; writes ${kp.writes.join(", ") || "-"}${reds.length ? `; reduces ${reds.join(", ")}` : ""}`);
      lines.push(`          ${k.ops.length} ops, ${k.uniformCount} uniforms, ${k.segvalCount} per-tensor values, ${4 * (kp.reads.length + kp.readsBack.length + kp.writes.length)} B/param`);
    });
  });
  for (const g of p.guards) lines.push(`  guard ${g.code} before pass ${g.level}: ${g.message}`);
  return lines;
}
