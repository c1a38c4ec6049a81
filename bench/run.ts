/**
 * npm run bench: optc's generated JS step vs a hand-written fused loop of the same math
 * (codegen overhead, goal ≤ 1.1×) and vs a streaming `y = x + y` limit, measured side by side.
 * Usage: npm run bench [-- --sizes 1e5,1e6 --rounds 15]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { compile } from "../index.js";
import { bench, type Candidate, type Row } from "./harness.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const sizes = arg("sizes", "1e5,1e6").split(",").map(Number);
const rounds = Number(arg("rounds", "15"));

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = (s / 2147483648) * 2 - 1;
  }
  return a;
}

/** Hand-written closures over their buffers, the fastest JS shape (shared/perf/anchors.md). */
function handAdam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, b1: number, b2: number, eps: number) {
  let t = 0;
  const n = p.length;
  return () => {
    t++;
    const bc1 = 1 - Math.pow(b1, t);
    const bc2 = 1 - Math.pow(b2, t);
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = c1 * gi + b1 * m[i];
      const vi = c2 * (gi * gi) + b2 * v[i];
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] + -lr * (mi / bc1 / (Math.sqrt(vi / bc2) + eps));
    }
  };
}
function handSgd(p: Float32Array, g: Float32Array, lr: number) {
  const n = p.length;
  return () => {
    for (let i = 0; i < n; i++) p[i] = p[i] + -lr * g[i];
  };
}
function limitAdd(x: Float32Array, y: Float32Array) {
  const n = x.length;
  return () => {
    for (let i = 0; i < n; i++) y[i] = x[i] + y[i];
  };
}

const results: Record<string, Row[]> = {};
for (const n of sizes) {
  const g = random(n, 1);
  const cands: Candidate[] = [];
  cands.push({ name: "limit y=x+y", bytes: 12 * n, fn: limitAdd(random(n, 2), new Float32Array(n)) });
  cands.push({ name: "hand-written fused adam", bytes: 28 * n, fn: handAdam(random(n, 3), g, new Float32Array(n), new Float32Array(n), 1e-3, 0.9, 0.999, 1e-8) });
  cands.push({ name: "hand-written fused sgd", bytes: 12 * n, fn: handSgd(random(n, 4), g, 1e-3) });
  for (const [name, cfg, bytes] of [["adam", "adam(1e-3)", 28], ["sgd", "sgd(1e-3)", 12]] as const) {
    for (const validate of [false, true]) {
      const run = compile(cfg).initSync({ w: { shape: [n], data: random(n, 5) } }, { validate });
      run.grads.w.set(g);
      cands.push({ name: `optc ${name}${validate ? " (+NaN check)" : ""}`, bytes: (bytes + (validate ? 4 : 0)) * n, fn: () => run.stepSync() });
    }
  }
  results[String(n)] = bench(cands, { rounds, minMs: 20, baseline: "limit y=x+y" });
}

const handOf = (name: string) => (name.includes("adam") ? "hand-written fused adam" : name.includes("sgd") ? "hand-written fused sgd" : undefined);
const lines = ["| N | kernel | median ms | GB/s | × limit | × hand-written |", "|---|---|---|---|---|---|"];
for (const [n, rows] of Object.entries(results)) {
  for (const r of rows) {
    const hand = handOf(r.name);
    const h = hand && r.name.startsWith("optc") ? (r.ratio / rows.find((x) => x.name === hand)!.ratio).toFixed(2) : "";
    lines.push(`| ${Number(n).toExponential(0)} | ${r.name} | ${r.medianMs.toFixed(3)} | ${r.gbps.toFixed(1)} | ${r.ratio.toFixed(2)} | ${h} |`);
  }
}
const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}`;
const table = lines.join("\n");
console.log(`optc bench (${machine}; paired medians over ${rounds} rounds)\n\n${table}`);
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/latest.json", import.meta.url), JSON.stringify({ machine, date: new Date().toISOString(), rounds, results }, null, 2));
writeFileSync(new URL("./results/latest.md", import.meta.url), `${machine}\n\n${table}\n`);
