/** Renders bench results as Markdown (also from a saved bench/results/latest.json: `--report-only`). */
import type { Row } from "./harness.js";
import type { WebGlRow } from "./webgl_page.js";

export interface KernelResult {
  config: string;
  n: number;
  optcMs: number;
  handMs: number;
  unfusedMs: number;
  limitMs: number;
  optcVsHand: number;
  optcVsLimit: number;
  unfusedVsOptc: number;
  optcGBps: number;
  /** optc's wasm target beside it (results saved before the wasm target have none). */
  wasm?: WasmKernelResult;
}

/** ms are medians; ratios are medians of paired rounds (time ÷ time, so > 1 for jsOver* means wasm is faster). */
export interface WasmKernelResult {
  /** f64x2 lanes, exact (the default precision). */
  ms: number;
  /** precision: "f32", f32x4 lanes. */
  f32Ms: number;
  /** The wasm SIMD streaming `y = x + y`. */
  limitMs: number;
  /** A hand-written f32x4 kernel of the same math (sgd and adam only). */
  handMs?: number;
  jsOverWasm: number;
  jsOverWasmF32: number;
  wasmVsLimit: number;
  f32VsLimit: number;
  f32VsHand?: number;
}

/** One config and size of bench/webgpu_child.ts: `steps` queued step() calls, then one sync(). */
export interface WebGpuRow {
  /** The WebGPU adapter (vendor / architecture / device / description). */
  adapter: string;
  /** step() calls per timed block (one sync() at its end). */
  steps: number;
  /** tfjs's optimizer in the comparison (its adam where tfjs has no equivalent). */
  tfjsOptimizer: string;
  tfjsMs: number;
  /** optc with its default NaN check. */
  optcMs: number;
  /** optc with init(params, { device, validate: false }). */
  optcNoCheckMs: number;
  tfjsOverOptc: number;
  tfjsOverOptcNoCheck: number;
  tfjsKernels: number;
  tfjsBytesPerParam: number;
  /** optc's dispatches per step, counted (default, and validate: false). */
  dispatches: number;
  dispatchesNoCheck: number;
  /** optc's logical bytes read + written per param per step (default; validate: false skips the check-only kernels). */
  bytesPerParam: number;
  bytesPerParamNoCheck: number;
  /** bytesPerParam * n / step time (validate: false: bytesPerParamNoCheck). */
  gbps: number;
  gbpsNoCheck: number;
}

/** Rows saved before the queued runtime (one step until the queue was idle; --report-only on an old latest.json). */
export interface LegacyWebGpuRow {
  tfjsMs: number;
  optcMs: number;
  tfjsOverOptc: number;
  tfjsKernels: number;
  tfjsBytesPerParam: number;
  optcDispatches: number;
  optcBytesPerParam: number;
}

export interface BenchResults {
  machine: string;
  date: string;
  rounds: number;
  sizes: number[];
  kernels: KernelResult[];
  tfjs: Record<string, Record<string, Row[]>>;
  webgpu?: Record<string, WebGpuRow | LegacyWebGpuRow>;
  webgl?: Record<string, WebGlRow>;
  latency?: Record<string, number>;
  /** When the WebGPU and WebGL2 rows were measured, where a run carried them over (--keep-gpu). */
  gpuDate?: string;
}

export function report(results: BenchResults): string {
  const { machine, date, rounds, sizes, tfjs, latency } = results;
  const { kernels } = results;
  const withTfjs = Object.keys(tfjs).length > 0;
  // The streaming loop is measured in every group, and some groups catch it slow (JIT state, a
  // busy vCPU): as a limit, the fastest of its medians at a size is the honest figure.
  const limitMs = (n: number) => Math.min(...kernels.filter((r) => r.n === n).map((r) => r.limitMs));

  const fmt = (x: number, d = 2) => x.toFixed(d);
  const md: string[] = [];
  md.push(`Machine: ${machine}; ${date.slice(0, 10)}; paired medians over ${rounds} rounds (1e7: fewer).`, "");
  md.push("**optc JS step vs baselines** (ratios of step times; < 1 means optc is faster)", "");
  md.push(`Streaming limit \`y = x + y\` (12 B/element; the fastest of its measurements per size): ${sizes.map((n) => `${n.toExponential(0)}: ${fmt(limitMs(n), 3)} ms (${fmt((12 * n) / (limitMs(n) * 1e6), 1)} GB/s)`).join("; ")}.`, "");
  md.push("| config | N | optc ms | optc GB/s | optc / hand-written fused | optc / limit y=x+y | unfused / optc |", "|---|---|---|---|---|---|---|");
  for (const r of kernels) md.push(`| ${r.config} | ${r.n.toExponential(0)} | ${fmt(r.optcMs, 3)} | ${fmt(r.optcGBps, 1)} | ${fmt(r.optcVsHand)} | ${fmt(r.optcMs / limitMs(r.n))} | ${fmt(r.unfusedVsOptc)} |`);
  const wasmRows = kernels.filter((r) => r.wasm);
  if (wasmRows.length) {
    // As for the JS limit: the fastest of the wasm streaming loop's medians at a size.
    const wasmLimitMs = (n: number) => Math.min(...wasmRows.filter((r) => r.n === n).map((r) => r.wasm!.limitMs));
    md.push("", "**optc wasm step** (the same configs and processes; f64x2 is the default, bit-exact with the interpreter; f32x4 is `precision: \"f32\"`, within 4 ulps; one thread, validate: false)", "");
    md.push(`Streaming limit, wasm SIMD \`y = x + y\`: ${sizes.map((n) => `${n.toExponential(0)}: ${fmt(wasmLimitMs(n), 3)} ms (${fmt((12 * n) / (wasmLimitMs(n) * 1e6), 1)} GB/s)`).join("; ")}. Hand-written wasm: f32x4 kernels of sgd and adam (bench/wasm_kernels.ts).`, "");
    md.push("| config | N | f64x2 ms | f64x2 GB/s | f32x4 ms | f32x4 GB/s | JS / f64x2 | JS / f32x4 | f64x2 / limit | f32x4 / limit | hand-written f32x4 ms | f32x4 / hand-written |", "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (const r of wasmRows) {
      const w = r.wasm!;
      const bytes = r.optcGBps * r.optcMs * 1e6; // the config's logical bytes per step
      const gbps = (ms: number) => fmt(bytes / (ms * 1e6), 1);
      md.push(`| ${r.config} | ${r.n.toExponential(0)} | ${fmt(w.ms, 3)} | ${gbps(w.ms)} | ${fmt(w.f32Ms, 3)} | ${gbps(w.f32Ms)} | ${fmt(w.jsOverWasm)} | ${fmt(w.jsOverWasmF32)} | ${fmt(w.wasmVsLimit)} | ${fmt(w.f32VsLimit)} | ${w.handMs === undefined ? "–" : fmt(w.handMs, 3)} | ${w.f32VsHand === undefined ? "–" : fmt(w.f32VsHand)} |`);
    }
  }
  if (withTfjs) {
    md.push("", "**TensorFlow.js optimizers vs optc** (tfjs step time / optc step time, same process; optc is `compile()` without a target, so wasm f64x2 where SIMD validates; > 1 means optc is faster)", "");
    md.push("| optimizer | N | tfjs-cpu ms | tfjs-cpu / optc | tfjs-wasm ms | tfjs-wasm / optc |", "|---|---|---|---|---|---|");
    for (const key of Object.keys(tfjs.cpu)) {
      const [name, n] = key.split("/");
      const cell = (b: string) => {
        const rows = tfjs[b][key];
        const t = rows.find((x) => x.name.startsWith("tfjs"))!;
        return [fmt(t.medianMs, 3), fmt(t.ratio)];
      };
      md.push(`| ${name} | ${Number(n).toExponential(0)} | ${cell("cpu").join(" | ")} | ${cell("wasm").join(" | ")} |`);
    }
  }
  const carried = results.gpuDate ? ` Measured ${results.gpuDate.slice(0, 10)} and carried over by \`--keep-gpu\`.` : "";
  if (results.webgpu) {
    const rows = Object.entries(results.webgpu);
    const queued = rows.filter((r): r is [string, WebGpuRow] => "optcNoCheckMs" in r[1]);
    const legacy = rows.filter((r): r is [string, LegacyWebGpuRow] => !("optcNoCheckMs" in r[1]));
    if (queued.length) {
      const first = queued[0][1];
      const adapters = [...new Set(queued.map(([, r]) => r.adapter))].join("; ");
      md.push("", `**WebGPU: optc vs TensorFlow.js's WebGPU backend** (same Dawn device: ${adapters}; ${first.steps} step() calls queued, then one sync(); ms per step; > 1 means optc is faster)${carried}`, "");
      md.push("| optimizer | N | tfjs optimizer | tfjs ms | optc ms | optc ms, validate: false | tfjs / optc | tfjs / optc, validate: false | optc GB/s | optc GB/s, validate: false | tfjs kernels per step | optc dispatches per step (validate: false) | tfjs B/param | optc B/param (validate: false) |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
      for (const [key, r] of queued) {
        const [name, n] = key.split("/");
        md.push(`| ${name} | ${Number(n).toExponential(0)} | ${r.tfjsOptimizer} | ${fmt(r.tfjsMs, 3)} | ${fmt(r.optcMs, 3)} | ${fmt(r.optcNoCheckMs, 3)} | ${fmt(r.tfjsOverOptc)} | ${fmt(r.tfjsOverOptcNoCheck)} | ${fmt(r.gbps, 2)} | ${fmt(r.gbpsNoCheck, 2)} | ${r.tfjsKernels} | ${fmt(r.dispatches, 1)} (${fmt(r.dispatchesNoCheck, 1)}) | ${fmt(r.tfjsBytesPerParam, 0)} | ${r.bytesPerParam} (${r.bytesPerParamNoCheck}) |`);
      }
    }
    if (legacy.length) {
      md.push("", "**WebGPU: optc vs TensorFlow.js's WebGPU backend** (same Dawn device, SwiftShader on the CPU; step until the queue is idle)", "");
      md.push("| optimizer | N | tfjs ms | optc ms | tfjs / optc | tfjs kernels per step | optc dispatches per step | tfjs B/param | optc B/param |", "|---|---|---|---|---|---|---|---|---|");
      for (const [key, r] of legacy) {
        const [name, n] = key.split("/");
        md.push(`| ${name} | ${Number(n).toExponential(0)} | ${fmt(r.tfjsMs, 2)} | ${fmt(r.optcMs, 2)} | ${fmt(r.tfjsOverOptc)} | ${r.tfjsKernels} | ${r.optcDispatches} | ${fmt(r.tfjsBytesPerParam, 0)} | ${r.optcBytesPerParam} |`);
      }
    }
  }
  if (results.webgl) {
    const first = Object.values(results.webgl)[0];
    md.push("", `**WebGL2: optc's gpu.js target vs TensorFlow.js's WebGL backend** (one headless Chromium page, ${first?.renderer ?? "WebGL2"}; gradients uploaded from JS every step; optc with validate: false, as tfjs checks nothing; > 1 means optc is faster)${carried}`, "");
    md.push("| optimizer | N | tfjs ms | optc ms | tfjs / optc | tfjs / optc, no optimizeFloatMemory | step + read params: tfjs ms | optc ms | tfjs / optc | tfjs kernels per step | optc kernels per step |", "|---|---|---|---|---|---|---|---|---|---|---|");
    for (const [key, r] of Object.entries(results.webgl)) {
      const [name, n] = key.split("/");
      md.push(`| ${name} | ${Number(n).toExponential(0)} | ${fmt(r.tfjsMs, 2)} | ${fmt(r.optcMs, 2)} | ${fmt(r.tfjsOverOptc)} | ${fmt(r.tfjsOverOptcPlain)} | ${fmt(r.tfjsReadMs, 2)} | ${fmt(r.optcReadMs, 2)} | ${fmt(r.tfjsOverOptcRead)} | ${r.tfjsKernels} | ${r.optcKernels} |`);
    }
  }
  if (latency) {
    md.push("", "**Compile latency** (config string → ready optimizer, `chain(clip_by_global_norm(1.0), adamw(1e-3))`)", "");
    md.push("| cold: fresh process, imports included | of which importing optc | first compile | warm compile |", "|---|---|---|---|");
    md.push(`| ${fmt(latency.coldMs, 1)} ms | ${fmt(latency.importMs, 1)} ms | ${fmt(latency.firstCompileMs, 1)} ms | ${fmt(latency.warmMs, 2)} ms |`);
  }
  return md.join("\n");
}
