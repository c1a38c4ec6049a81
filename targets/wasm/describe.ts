/**
 * A wasm kernel as text, for `optc explain --target wasm` (the kernels stage): the module's size
 * and imports, and the per-element program it computes in f64x2 lanes, one SSA line per op.
 */
import { fromBase64 } from "../../format/base64.js";
import type { Kernel } from "../../format/kernel.js";
import { aluOperands } from "../../format/ops.js";
import { bindingComments } from "../c_like.js";
import { commentSafe, jsNumber } from "../print_number.js";

export function describeWasmKernel(k: Kernel, base64: string): string {
  const bytes = fromBase64(base64)?.length ?? 0;
  const imported = [...new Set(k.ops.map((o) => o.op).filter((o) => ["cos", "tanh", "exp", "log", "pow"].includes(o)))];
  const L = [
    `;; kernel ${commentSafe(k.name)}: a ${bytes}-byte WebAssembly module; exports run, guarded (backups), scan (finiteness)`,
    `;; f64x2 lanes (run, guarded): float32 loads promoted, float64 math, stores rounded to float32; f32x4 (run_f32, guarded_f32): float32 math; two vectors per iteration, scalar tail`,
    ...(imported.length ? [`;; imported per lane from JS Math: ${imported.join(", ")}`] : []),
    ...bindingComments(k, ";; ").map((l) => l.replace(";; // ", ";; ")),
  ];
  k.ops.forEach((op, i) => {
    let text: string;
    if (op.op === "const") text = jsNumber(op.value);
    else if (op.op === "load") text = `load a${op.arena}[i]`;
    else if (op.op === "uniform") text = `uniform ${op.index}`;
    else if (op.op === "segval") text = `segval ${op.index}[segment]`;
    else text = `${op.op} ${aluOperands(op).map((x) => `v${x}`).join(" ")}`;
    L.push(`v${i} = ${text}`);
  });
  for (const s of k.stores) L.push(`store a${s.arena}[i] = f32(v${s.value})`);
  k.reductions.forEach((r, j) => L.push(`reduce ${j} (${r.scope}${r.mask !== undefined ? `, mask segval ${r.mask}` : ""}) += v${r.value}`));
  return L.join("\n");
}
