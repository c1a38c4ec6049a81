/**
 * npm run bench: ratios measured side by side (paired rounds, medians; these machines are noisy).
 *   - optc's JS step vs a hand-written fused loop of the same math (codegen overhead, goal ≤ 1.1×)
 *     and vs the streaming limit `y = x + y` (memory bandwidth);
 *   - an unfused baseline (one loop per transform, temporaries) vs optc;
 *   - TensorFlow.js cpu and wasm optimizers vs optc (adam, sgd, momentum), each in its own process;
 *   - compile latency, cold and warm.
 *   - WebGPU: optc (default NaN check and validate: false) vs TensorFlow.js's WebGPU backend on one
 *     Dawn device (SwiftShader here), 100 queued steps then one sync;
 *   - WebGL2: optc's gpu.js target vs TensorFlow.js's WebGL backend in one headless Chromium page.
 *   - optc's wasm target (f64x2, exact, and precision: "f32", f32x4) beside the JS rows, against
 *     the wasm SIMD streaming `y = x + y` and hand-written f32x4 sgd and Adam (bench/wasm_kernels.ts);
 *     `npm run bench:wasm` has the thread, tfjs-wasm and latency figures.
 * Usage: npm run bench [-- --sizes 1e5,1e6,1e7 --rounds 9 --gpu-steps 100 --no-tfjs --no-webgpu --no-webgl --keep-gpu | --report-only]
 * --keep-gpu measures no GPU section and carries the WebGPU and WebGL2 rows of the saved
 * latest.json over, labelled with the date they were measured (SwiftShader takes most of the 7 minutes).
 * OPTC_BENCH_HARDWARE=1 runs the WebGPU comparison on a real GPU adapter (all sizes) instead of SwiftShader.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { compile } from "../index.js";
import { bench, type Candidate, type Row } from "./harness.js";
import { CONFIGS, fused, limit, unfused } from "./kernels.js";
import { handKernels, type HandKernels } from "./wasm_kernels.js";
import { report, type BenchResults, type KernelResult, type WebGpuRow } from "./report.js";
import type { WebGlRow } from "./webgl_page.js";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const sizes = arg("sizes", "1e5,1e6,1e7").split(",").map(Number);
const rounds = Number(arg("rounds", "9"));
const withTfjs = !argv.includes("--no-tfjs");
const here = new URL(".", import.meta.url).pathname;

if (argv.includes("--report-only")) {
  // Re-render the saved results (after a change to the report) without measuring again.
  const saved = JSON.parse(readFileSync(`${here}results/latest.json`, "utf8")) as BenchResults;
  const table = report(saved);
  console.log(table);
  writeFileSync(`${here}results/latest.md`, `${table}\n`);
  process.exit(0);
}

function randomArray(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = (s / 2147483648) * 2 - 1;
  }
  return a;
}

function limitCandidate(n: number): Candidate {
  return { name: "limit y=x+y", bytes: 12 * n, fn: limit(randomArray(n, 9), new Float32Array(n)) };
}


/** The hand-written wasm SIMD anchors over one memory sized once: x and y of the streaming loop, then p, g, m, v. */
function wasmAnchors(n: number): { hk: HandKernels; limit: Candidate; hand: Record<string, Candidate> } {
  const hk = handKernels(6 * 4 * n + 65536);
  const at = (k: number) => k * 4 * n;
  for (let k = 0; k < 6; k++) new Float32Array(hk.memory.buffer, at(k), n).set(randomArray(n, k + 1));
  let t = 0;
  const adam = () => {
    t = Math.min(t + 1, 50);
    hk.adam(at(2), at(3), at(4), at(5), n, 1e-3 / (1 - 0.9 ** t), 0.9, 0.1, 0.999, 0.001, 1 / (1 - 0.999 ** t), 1e-8);
  };
  return {
    hk,
    limit: { name: "wasm y=x+y", bytes: 12 * n, fn: () => hk.add(at(0), at(1), n) },
    hand: {
      sgd: { name: "hand wasm", bytes: 12 * n, fn: () => hk.sgd(at(2), at(3), n, 1e-3) },
      adam: { name: "hand wasm", bytes: 28 * n, fn: adam },
    },
  };
}

function stepsOf(optc: string, target: "js" | "wasm", n: number, g: Float32Array, calls: number, precision?: "f32"): () => void {
  const run = compile(optc, { target }).initSync({ w: { shape: [n], data: randomArray(n, 2) } }, { validate: false, ...(precision ? { precision } : {}) });
  run.grads.w.set(g);
  return () => {
    for (let k = 0; k < calls; k++) run.stepSync();
  };
}

const kernelResults: KernelResult[] = [];
for (const n of sizes) {
  const g = randomArray(n, 1);
  const anchors = wasmAnchors(n);
  for (const [name, c] of Object.entries(CONFIGS)) {
    const rows: Row[] = bench(
      [
        limitCandidate(n),
        { name: "optc", bytes: c.bytes * n, fn: stepsOf(c.optc, "js", n, g, c.calls) },
        { name: "hand", bytes: c.bytes * n, fn: fused[name]({ p: randomArray(n, 2), g }) },
        { name: "unfused", bytes: c.bytes * n, fn: unfused[name]({ p: randomArray(n, 2), g }) },
        anchors.limit,
        { name: "wasm", bytes: c.bytes * n, fn: stepsOf(c.optc, "wasm", n, g, c.calls) },
        { name: "wasm f32", bytes: c.bytes * n, fn: stepsOf(c.optc, "wasm", n, g, c.calls, "f32") },
        ...(anchors.hand[name] ? [anchors.hand[name]] : []),
      ],
      { rounds: n >= 1e7 ? Math.max(5, Math.ceil(rounds / 2)) : rounds, minMs: 20, baseline: "optc" },
    );
    const r = (x: string) => rows.find((row) => row.name === x)!;
    const hand = rows.find((row) => row.name === "hand wasm");
    kernelResults.push({
      config: name,
      n,
      optcMs: r("optc").medianMs,
      handMs: r("hand").medianMs,
      unfusedMs: r("unfused").medianMs,
      limitMs: r("limit y=x+y").medianMs,
      optcVsHand: 1 / r("hand").ratio,
      optcVsLimit: 1 / r("limit y=x+y").ratio,
      unfusedVsOptc: r("unfused").ratio,
      optcGBps: r("optc").gbps,
      wasm: {
        ms: r("wasm").medianMs,
        f32Ms: r("wasm f32").medianMs,
        limitMs: r("wasm y=x+y").medianMs,
        jsOverWasm: 1 / r("wasm").ratio,
        jsOverWasmF32: 1 / r("wasm f32").ratio,
        wasmVsLimit: r("wasm").ratio / r("wasm y=x+y").ratio,
        f32VsLimit: r("wasm f32").ratio / r("wasm y=x+y").ratio,
        ...(hand ? { handMs: hand.medianMs, f32VsHand: r("wasm f32").ratio / hand.ratio } : {}),
      },
    });
    process.stderr.write(`  ${name} @ ${n.toExponential(0)}: optc ${r("optc").medianMs.toFixed(3)} ms, ×hand ${(1 / r("hand").ratio).toFixed(2)}, unfused/optc ${r("unfused").ratio.toFixed(2)}, JS/wasm ${(1 / r("wasm").ratio).toFixed(2)}, JS/wasm f32 ${(1 / r("wasm f32").ratio).toFixed(2)}\n`);
  }
}

const tfjs: Record<string, Record<string, Row[]>> = {};
if (withTfjs) {
  for (const backend of ["cpu", "wasm"]) {
    process.stderr.write(`  tfjs-${backend} (separate process)…\n`);
    const out = execFileSync(process.execPath, ["--import", "tsx", `${here}tfjs_child.ts`, backend, sizes.join(","), String(Math.min(rounds, 7))], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    tfjs[backend] = JSON.parse(out);
  }
}

const keepGpu = argv.includes("--keep-gpu");
const saved = keepGpu && existsSync(`${here}results/latest.json`) ? (JSON.parse(readFileSync(`${here}results/latest.json`, "utf8")) as BenchResults) : undefined;

let webgpu: BenchResults["webgpu"] = saved?.webgpu;
if (!keepGpu && !argv.includes("--no-webgpu")) {
  const hardware = process.env.OPTC_BENCH_HARDWARE === "1";
  process.stderr.write(`  WebGPU: optc vs tfjs-webgpu on one Dawn device, ${arg("gpu-steps", "100")} queued steps then one sync (${hardware ? "a real GPU adapter: OPTC_BENCH_HARDWARE=1" : "SwiftShader"}; separate process)…\n`);
  try {
    // SwiftShader runs on the CPU: 1e7 would take minutes per config there.
    const gpuSizes = (hardware ? sizes : sizes.filter((n) => n <= 1e6)).join(",") || "1e5";
    webgpu = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", `${here}webgpu_child.ts`, gpuSizes, String(Math.min(rounds, 5)), arg("gpu-steps", "100")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
  } catch (e) {
    process.stderr.write(`  (WebGPU skipped: ${(e as Error).message.split("\n")[0]}; without a GPU, install chromium libvulkan1 for SwiftShader)\n`);
  }
}

let webgl: Record<string, WebGlRow> | undefined = saved?.webgl;
if (!keepGpu && !argv.includes("--no-webgl")) {
  process.stderr.write("  WebGL2: optc (gpu.js) vs tfjs-webgl in one headless Chromium page (separate process)…\n");
  try {
    const glSizes = sizes.filter((n) => n <= 1e6).join(",") || "1e5";
    webgl = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", `${here}webgl.ts`, glSizes, "5"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  } catch {
    process.stderr.write("  (no Chromium: apt-get install -y chromium; skipped)\n");
  }
}

let latency: Record<string, number> | undefined;
if (existsSync(`${here}../dist/index.js`)) {
  const samples = Array.from({ length: 5 }, () => JSON.parse(execFileSync(process.execPath, [`${here}compile_latency.mjs`], { encoding: "utf8" })) as Record<string, number>);
  const med = (k: string) => samples.map((s) => s[k]).sort((a, b) => a - b)[2];
  latency = { importMs: med("importMs"), coldMs: med("coldMs"), firstCompileMs: med("firstCompileMs"), warmMs: med("warmMs") };
}

const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const gpuDate = saved ? (saved.gpuDate ?? saved.date) : undefined;
const results: BenchResults = { machine, date: new Date().toISOString(), rounds, sizes, kernels: kernelResults, tfjs, webgpu, webgl, latency, ...(gpuDate ? { gpuDate } : {}) };
const table = report(results);
console.log(`\noptc bench\n\n${table}`);
mkdirSync(`${here}results`, { recursive: true });
writeFileSync(`${here}results/latest.json`, JSON.stringify(results, null, 1));
writeFileSync(`${here}results/latest.md`, `${table}\n`);
