/**
 * The wasm target's benchmark (npm run bench:wasm): paired rounds in one process, so every
 * figure is a ratio to a baseline measured beside it.
 *   - optc's wasm step (the Adam family, sgd; validate: false and the default guarded form)
 *     against the streaming wasm SIMD `y = x + y` (the single-thread bandwidth limit), a
 *     hand-written f32x4 fused Adam (the f32-lanes alternative), and optc's JS target;
 *   - tfjs-wasm's adam against optc's wasm adam, paired in a process of their own (tfjs-wasm
 *     grows its memory, which slows typed-array loops in the process for good);
 *   - 2 threads against 1 (adam, both precisions);
 *   - compile() and compile + init + first step latency of the wasm and JS targets.
 * Usage: node --import tsx bench/wasm.ts [--sizes 1e6,1e7] [--rounds 7] [--no-tfjs]
 * Writes bench/results/wasm.json and wasm.md.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { compile } from "../index.js";
import type { Run } from "../runtime/optimizer.js";
import { bench, type Candidate, type Row } from "./harness.js";
import { handKernels } from "./wasm_kernels.js";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const sizes = arg("sizes", "1e6,1e7").split(",").map(Number);
const rounds = Number(arg("rounds", "7"));
const here = new URL(".", import.meta.url).pathname;

export const WASM_CONFIGS: Record<string, string> = {
  adam: "adam(1e-3)",
  adamw: "adamw(1e-3)",
  nadam: "nadam(1e-3)",
  sgd: "sgd(1e-3)",
};

function fill(a: Float32Array, seed: number): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37 + seed) * 0.5;
  return a;
}

function bytesPerStep(run: Run, n: number): number {
  return Object.values(run.artifact.phases)[0].bytesPerElement * n;
}

async function threadedRun(config: string, n: number, precision?: "f32"): Promise<Run> {
  const run = await compile(config, { target: "wasm" }).init({ w: { shape: [n], data: fill(new Float32Array(n), 1) } }, { validate: false, threads: 2, ...(precision ? { precision } : {}) });
  fill(run.grads.w, 2);
  return run;
}

function optcRun(config: string, target: "js" | "wasm", n: number, validate: boolean, precision?: "f32"): Run {
  const run = compile(config, { target }).initSync({ w: { shape: [n], data: fill(new Float32Array(n), 1) } }, { validate, ...(precision ? { precision } : {}) });
  fill(run.grads.w, 2);
  return run;
}

interface SizeResult {
  n: number;
  rows: Row[];
}

const results: SizeResult[] = [];
for (const n of sizes) {
  // The baselines' memory: x, y, and adam's p, g, m, v (sized once).
  const hk = handKernels(6 * 4 * n + 65536);
  const f32 = (k: number) => fill(new Float32Array(hk.memory.buffer, k * 4 * n, n), k);
  for (let k = 0; k < 6; k++) f32(k);
  const ptr = (k: number) => k * 4 * n;
  let t = 0;
  const cands: Candidate[] = [
    { name: "wasm y=x+y", bytes: 12 * n, fn: () => hk.add(ptr(0), ptr(1), n) },
    {
      name: "hand f32x4 adam",
      bytes: 28 * n,
      fn: () => {
        t++;
        hk.adam(ptr(2), ptr(3), ptr(4), ptr(5), n, 1e-3 / (1 - 0.9 ** Math.min(t, 50)), 0.9, 0.1, 0.999, 0.001, 1 / (1 - 0.999 ** Math.min(t, 50)), 1e-8);
      },
    },
  ];
  for (const [name, config] of Object.entries(WASM_CONFIGS)) {
    const run = optcRun(config, "wasm", n, false);
    cands.push({ name: `optc wasm ${name}`, bytes: bytesPerStep(run, n), fn: () => run.stepSync() });
    const fast = optcRun(config, "wasm", n, false, "f32");
    cands.push({ name: `optc wasm f32 ${name}`, bytes: bytesPerStep(fast, n), fn: () => fast.stepSync() });
  }
  for (const precision of [undefined, "f32"] as const) {
    const run = await threadedRun(WASM_CONFIGS.adam, n, precision);
    cands.push({ name: `optc wasm ${precision ? "f32 " : ""}adam, 2 threads`, bytes: bytesPerStep(run, n), fn: () => run.stepSync() });
  }
  for (const name of ["adam", "sgd"]) {
    const guarded = optcRun(WASM_CONFIGS[name], "wasm", n, true);
    cands.push({ name: `optc wasm ${name} (guarded)`, bytes: bytesPerStep(guarded, n), fn: () => guarded.stepSync() });
    const js = optcRun(WASM_CONFIGS[name], "js", n, false);
    cands.push({ name: `optc js ${name}`, bytes: bytesPerStep(js, n), fn: () => js.stepSync() });
  }
  const rows = bench(cands, { rounds, minMs: n >= 1e7 ? 60 : 25, baseline: "wasm y=x+y" });
  results.push({ n, rows });
  for (const r of rows) process.stderr.write(`  ${n.toExponential(0)} ${r.name}: ${r.medianMs.toFixed(3)} ms, ${r.gbps.toFixed(1)} GB/s, ×limit ${r.ratio.toFixed(2)}\n`);
}

/** tfjs-wasm's adam / optc wasm adam, paired in a child process. */
let tfjs: Record<string, { tfjsMs: number; optcMs: number; ratio: number; ratioF32: number }> = {};
if (!argv.includes("--no-tfjs")) {
  try {
    tfjs = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", `${here}wasm_tfjs_child.ts`, sizes.join(","), String(Math.min(rounds, 5))], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
  } catch (e) {
    process.stderr.write(`  (tfjs-wasm skipped: ${(e as Error).message.split("\n")[0]})\n`);
  }
}

/** compile() and compile + init + first step, medians of fresh compilations (the modules are compiled per artifact). */
function latency(target: "js" | "wasm", n: number): { compileMs: number; firstStepMs: number } {
  const compileMs: number[] = [];
  const firstMs: number[] = [];
  for (let k = 0; k < 9; k++) {
    const t0 = performance.now();
    const opt = compile("chain(clip_by_global_norm(1.0), adamw(1e-3))", { target });
    const t1 = performance.now();
    const run = opt.initSync({ w: { shape: [n], data: fill(new Float32Array(n), 3) } });
    fill(run.grads.w, 4);
    run.stepSync();
    const t2 = performance.now();
    compileMs.push(t1 - t0);
    firstMs.push(t2 - t0);
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return { compileMs: med(compileMs), firstStepMs: med(firstMs) };
}
compile("adam(0.1)", { target: "wasm" }); // warm the compiler itself
const latencies = Object.fromEntries(["js", "wasm"].flatMap((target) => [1e3, 1e6].map((n) => [`${target}/${n}`, latency(target as "js" | "wasm", n)])));

// ------------------------------------------------------------ report
const L: string[] = [`wasm bench: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString()} (a shared, loaded machine: read the ratios, not the times)`, ""];
L.push("| kernel | n | ms | GB/s | × y=x+y time | % of y=x+y GB/s |", "|---|---|---|---|---|---|");
for (const { n, rows } of results) {
  const base = rows.find((r) => r.name === "wasm y=x+y")!;
  for (const r of rows) L.push(`| ${r.name} | ${n.toExponential(0)} | ${r.medianMs.toFixed(3)} | ${r.gbps.toFixed(1)} | ${r.ratio.toFixed(2)} | ${((100 * r.gbps) / base.gbps).toFixed(0)} % |`);
}
L.push("", "Goals (paired ratios, medians of rounds):", "");
for (const { n, rows } of results) {
  const r = (name: string) => rows.find((x) => x.name === name)!;
  const bw = (name: string) => (100 * r(name).gbps) / r("wasm y=x+y").gbps;
  const x = (a: string, b: string) => (r(a).ratio / r(b).ratio).toFixed(2);
  L.push(`- ${n.toExponential(0)}, f64x2 (exact): adam ${bw("optc wasm adam").toFixed(0)} % of streaming bandwidth (goal ≥ 80 %; guarded ${bw("optc wasm adam (guarded)").toFixed(0)} %), adamw ${bw("optc wasm adamw").toFixed(0)} %, nadam ${bw("optc wasm nadam").toFixed(0)} %; sgd ${bw("optc wasm sgd").toFixed(0)} % (goal: the limit); JS adam / wasm adam ${x("optc js adam", "optc wasm adam")}× (goal ≥ 5×), JS sgd / wasm sgd ${x("optc js sgd", "optc wasm sgd")}×`);
  L.push(`  f32x4 (precision: "f32"): adam ${bw("optc wasm f32 adam").toFixed(0)} %, adamw ${bw("optc wasm f32 adamw").toFixed(0)} %, nadam ${bw("optc wasm f32 nadam").toFixed(0)} %, sgd ${bw("optc wasm f32 sgd").toFixed(0)} %; JS adam / wasm f32 adam ${x("optc js adam", "optc wasm f32 adam")}×; f64x2 adam / f32x4 adam ${x("optc wasm adam", "optc wasm f32 adam")}; optc f32 adam / hand-written f32x4 adam ${x("optc wasm f32 adam", "hand f32x4 adam")}; the hand-written adam itself ${bw("hand f32x4 adam").toFixed(0)} %`);
  L.push(`  2 threads / 1 thread (time; goal ≤ 0.625 at 1e7): f64x2 adam ${x("optc wasm adam, 2 threads", "optc wasm adam")}, f32x4 adam ${x("optc wasm f32 adam, 2 threads", "optc wasm f32 adam")}`);
  const t = tfjs[String(n)];
  if (t) L.push(`  tfjs-wasm adam / optc wasm adam ${t.ratio.toFixed(1)}×, / optc wasm f32 adam ${t.ratioF32.toFixed(1)}× (goal ≥ 8×; tfjs ${t.tfjsMs.toFixed(2)} ms vs optc f64x2 ${t.optcMs.toFixed(3)} ms, paired in their own process)`);
}
L.push("", "| latency (chain(clip_by_global_norm(1.0), adamw(1e-3))) | compile() ms | compile + init + first step ms |", "|---|---|---|");
for (const [key, v] of Object.entries(latencies)) L.push(`| ${key} | ${v.compileMs.toFixed(2)} | ${v.firstStepMs.toFixed(2)} |`);
const table = L.join("\n");
console.log(table);
mkdirSync(`${here}results`, { recursive: true });
writeFileSync(`${here}results/wasm.json`, JSON.stringify({ date: new Date().toISOString(), rounds, results, tfjs, latencies }, null, 1));
writeFileSync(`${here}results/wasm.md`, `${table}\n`);
