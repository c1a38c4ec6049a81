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
 * Usage: npm run bench [-- --sizes 1e5,1e6,1e7 --rounds 9 --gpu-steps 100 --no-tfjs --no-webgpu --no-webgl | --report-only]
 * OPTC_BENCH_HARDWARE=1 runs the WebGPU comparison on a real GPU adapter (all sizes) instead of SwiftShader.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { compile } from "../index.js";
import { bench, type Candidate, type Row } from "./harness.js";
import { CONFIGS, fused, limit, unfused } from "./kernels.js";
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


const kernelResults: KernelResult[] = [];
for (const n of sizes) {
  const g = randomArray(n, 1);
  for (const [name, c] of Object.entries(CONFIGS)) {
    const run = compile(c.optc).initSync({ w: { shape: [n], data: randomArray(n, 2) } }, { validate: false });
    run.grads.w.set(g);
    const optcStep = () => {
      for (let k = 0; k < c.calls; k++) run.stepSync();
    };
    const rows: Row[] = bench(
      [
        limitCandidate(n),
        { name: "optc", bytes: c.bytes * n, fn: optcStep },
        { name: "hand", bytes: c.bytes * n, fn: fused[name]({ p: randomArray(n, 2), g }) },
        { name: "unfused", bytes: c.bytes * n, fn: unfused[name]({ p: randomArray(n, 2), g }) },
      ],
      { rounds: n >= 1e7 ? Math.max(5, Math.ceil(rounds / 2)) : rounds, minMs: 20, baseline: "optc" },
    );
    const r = (x: string) => rows.find((row) => row.name === x)!;
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
    });
    process.stderr.write(`  ${name} @ ${n.toExponential(0)}: optc ${r("optc").medianMs.toFixed(3)} ms, ×hand ${(1 / r("hand").ratio).toFixed(2)}, unfused/optc ${r("unfused").ratio.toFixed(2)}\n`);
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

let webgpu: Record<string, WebGpuRow> | undefined;
if (!argv.includes("--no-webgpu")) {
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

let webgl: Record<string, WebGlRow> | undefined;
if (!argv.includes("--no-webgl")) {
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
const results: BenchResults = { machine, date: new Date().toISOString(), rounds, sizes, kernels: kernelResults, tfjs, webgpu, webgl, latency };
const table = report(results);
console.log(`\noptc bench\n\n${table}`);
mkdirSync(`${here}results`, { recursive: true });
writeFileSync(`${here}results/latest.json`, JSON.stringify(results, null, 1));
writeFileSync(`${here}results/latest.md`, `${table}\n`);
