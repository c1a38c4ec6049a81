/**
 * JS renderer: each kernel becomes a factory `build(arenas, seg, sv, U, R, RS) → run()`,
 * a closure over its buffers (2× faster than passing arrays per call, see perf anchors).
 * Math is float64 JS numbers; stores into Float32Array round like the interpreter's f32.
 */
import { isSegmented, type Kernel } from "../../format/kernel.js";
import { commentSafe, jsNumber } from "../print_number.js";
import type { BinaryOp, UnaryOp } from "../../format/ops.js";

const truthy = (x: string) => `(${x} !== 0 && ${x} === ${x})`;

function unary(op: UnaryOp, a: string): string {
  switch (op) {
    case "neg":
      return `(-${a})`;
    case "abs":
      return `Math.abs(${a})`;
    case "sqrt":
      return `Math.sqrt(${a})`;
    case "cos":
      return `Math.cos(${a})`;
    case "floor":
      return `Math.floor(${a})`;
    case "sign":
      return `Math.sign(${a})`;
    case "tanh":
      return `Math.tanh(${a})`;
    case "not":
      return `(${truthy(a)} ? 0 : 1)`;
    case "isfinite":
      return `(${a} - ${a} === 0 ? 1 : 0)`;
    case "f32":
      return `Math.fround(${a})`;
    case "exp":
      return `Math.exp(${a})`;
    case "log":
      return `Math.log(${a})`;
  }
}

function binary(op: BinaryOp, a: string, b: string): string {
  switch (op) {
    case "add":
      return `(${a} + ${b})`;
    case "sub":
      return `(${a} - ${b})`;
    case "mul":
      return `(${a} * ${b})`;
    case "div":
      return `(${a} / ${b})`;
    case "pow":
      return `Math.pow(${a}, ${b})`;
    case "min":
      return `Math.min(${a}, ${b})`;
    case "max":
      return `Math.max(${a}, ${b})`;
    case "lt":
      return `(${a} < ${b} ? 1 : 0)`;
    case "le":
      return `(${a} <= ${b} ? 1 : 0)`;
    case "gt":
      return `(${a} > ${b} ? 1 : 0)`;
    case "ge":
      return `(${a} >= ${b} ? 1 : 0)`;
    case "eq":
      return `(${a} === ${b} ? 1 : 0)`;
    case "ne":
      return `(${a} !== ${b} ? 1 : 0)`;
    case "and":
      return `(${truthy(a)} && ${truthy(b)} ? 1 : 0)`;
    case "or":
      return `(${truthy(a)} || ${truthy(b)} ? 1 : 0)`;
  }
}

/** Emits the per-element statements for index expression `idx`; returns names per op. */
function elementBody(k: Kernel, idx: string, suffix: string, lines: string[], indent: string): string[] {
  const name: string[] = [];
  k.ops.forEach((op, i) => {
    switch (op.op) {
      case "const":
        name[i] = jsNumber(op.value);
        return;
      case "uniform":
        name[i] = `u${op.index}`;
        return;
      case "segval":
        name[i] = `s${op.index}`;
        return;
    }
    const t = `t${i}${suffix}`;
    let expr: string;
    if (op.op === "load") expr = `a${op.arena}[${idx}]`;
    else if (op.op === "select") expr = `(${truthy(name[op.c])} ? ${name[op.a]} : ${name[op.b]})`;
    else if ("b" in op) expr = binary(op.op, name[op.a], name[op.b]);
    else expr = unary(op.op, name[op.a]);
    lines.push(`${indent}const ${t} = ${expr};`);
    name[i] = t;
  });
  for (const s of k.stores) lines.push(`${indent}a${s.arena}[${idx}] = ${name[s.value]};`);
  return name;
}

export function renderJs(k: Kernel): string {
  const L: string[] = [];
  L.push(`// kernel ${commentSafe(k.name)}`);
  k.bindings.forEach((b, i) => L.push(`// a${i}: ${commentSafe(b.name)}${b.read ? " read" : ""}${b.write ? " write" : ""}`));
  L.push(`return function build(arenas, seg, sv, U, R, RS) {`);
  k.bindings.forEach((_, i) => L.push(`  const a${i} = arenas[${i}];`));
  L.push(`  const nseg = seg.length - 1;`);
  L.push(`  const n = seg[nseg];`);
  for (let i = 0; i < k.segvalCount; i++) L.push(`  const sv${i} = sv[${i}];`);
  k.reductions.forEach((r, j) => {
    if (r.scope === "segment") L.push(`  const rs${j} = RS[${j}];`);
  });
  L.push(`  return function run() {`);
  for (let i = 0; i < k.uniformCount; i++) L.push(`    const u${i} = U[${i}];`);
  if (!isSegmented(k)) {
    L.push(`    for (let i = 0; i < n; i++) {`);
    elementBody(k, "i", "", L, "      ");
    L.push(`    }`);
  } else {
    k.reductions.forEach((r, j) => {
      if (r.scope === "global") L.push(`    let g${j} = 0;`);
    });
    L.push(`    for (let s = 0; s < nseg; s++) {`);
    L.push(`      const lo = seg[s], hi = seg[s + 1];`);
    for (let i = 0; i < k.segvalCount; i++) L.push(`      const s${i} = sv${i}[s];`);
    if (k.reductions.length === 0) {
      L.push(`      for (let i = lo; i < hi; i++) {`);
      elementBody(k, "i", "", L, "        ");
      L.push(`      }`);
    } else {
      k.reductions.forEach((_, j) => L.push(`      let r${j}_0 = 0, r${j}_1 = 0, r${j}_2 = 0, r${j}_3 = 0;`));
      L.push(`      let i = lo;`);
      L.push(`      for (; i + 3 < hi; i += 4) {`);
      for (let lane = 0; lane < 4; lane++) {
        L.push(`        {`);
        const names = elementBody(k, lane === 0 ? "i" : `i + ${lane}`, `_${lane}`, L, "          ");
        k.reductions.forEach((r, j) => L.push(`          r${j}_${lane} += ${names[r.value]};`));
        L.push(`        }`);
      }
      L.push(`      }`);
      L.push(`      for (; i < hi; i++) {`);
      const names = elementBody(k, "i", "_t", L, "        ");
      k.reductions.forEach((r, j) => L.push(`        r${j}_0 += ${names[r.value]};`));
      L.push(`      }`);
      k.reductions.forEach((r, j) => {
        const sum = `(r${j}_0 + r${j}_1) + (r${j}_2 + r${j}_3)`;
        if (r.scope === "segment") L.push(`      rs${j}[s] = ${sum};`);
        else if (r.mask !== undefined) L.push(`      if (${truthy(`s${r.mask}`)}) g${j} = g${j} + (${sum});`);
        else L.push(`      g${j} = g${j} + (${sum});`);
      });
    }
    L.push(`    }`);
    k.reductions.forEach((r, j) => {
      if (r.scope === "global") L.push(`    R[${j}] = g${j};`);
    });
  }
  L.push(`  };`);
  L.push(`};`);
  return L.join("\n");
}
