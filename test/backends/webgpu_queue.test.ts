/**
 * The WebGPU runtime's queue (issue 15): step() encodes and submits a step's GPU work and
 * resolves without waiting for the GPU; reductions, clip scales, trust ratios and every guard
 * (R201, R202, R203, R206, R207) are decided on the device, and sync() reports a refusal
 * ("step k: ...") with params, state and counters exactly as before step k.
 *
 * Round trips are counted by patching the prototypes of Dawn's GPUBuffer (mapAsync), GPUQueue
 * (submit, onSubmittedWorkDone) and GPUComputePassEncoder (dispatchWorkgroups): every buffer and
 * encoder the runtime creates goes through them. Tests in a file run one after another, so the
 * counters are the tests' own.
 *
 * Tolerance against the JS target: 4 float32 ulps per step relative to max(1, |x|), as in
 * webgpu.test.ts. Between two GPU runs of the same steps (atomicity), bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, MAX_UNSYNCED_STEPS, OptcRuntimeError } from "../../index.js";
import type { GpuRun } from "../../runtime/backends/webgpu/run.js";
import type { Run } from "../../runtime/optimizer.js";
import { CATALOG_CONFIGS, plateauLoss } from "../helpers/catalog.js";
import { requireGpu } from "../helpers/gpu.js";
import { bigModel, expectCountersMatch, makeRun } from "../helpers/run.js";

const ULP = 2 ** -23;
const PER_STEP = 4 * ULP;
let device: GPUDevice | undefined;

/** What the runtime asked of the device since the last reset. */
const calls = { mapAsync: 0, submit: 0, workDone: 0, dispatch: 0 };
const reset = () => Object.assign(calls, { mapAsync: 0, submit: 0, workDone: 0, dispatch: 0 });
const restorers: (() => void)[] = [];

function patch<T extends object>(proto: T, name: keyof T & string, count: keyof typeof calls): void {
  const original = proto[name] as unknown as (...a: unknown[]) => unknown;
  if (typeof original !== "function") throw new Error(`no ${name} to patch`);
  (proto as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
    calls[count]++;
    return original.apply(this, a);
  };
  restorers.push(() => ((proto as Record<string, unknown>)[name] = original));
}

beforeAll(async () => {
  device = await requireGpu("WebGPU queue tests");
  if (!device) return;
  const g = globalThis as unknown as Record<string, { prototype: object }>;
  patch(g.GPUBuffer.prototype as GPUBuffer, "mapAsync", "mapAsync");
  patch(g.GPUQueue.prototype as GPUQueue, "submit", "submit");
  patch(g.GPUQueue.prototype as GPUQueue, "onSubmittedWorkDone", "workDone");
  patch(g.GPUComputePassEncoder.prototype as GPUComputePassEncoder, "dispatchWorkgroups", "dispatch");
});
afterAll(() => {
  for (const r of restorers.reverse()) r();
  device?.destroy();
});

const tensors = (m: Record<string, number[]>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }]));
const CHUNK = 64;

/** The gradient of step s (1-based): independent of the params, so it can be queued without a read; sign-flipping, changing every step. */
function gradAt(s: number): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(bigModel()).map(([k, v], t) => [k, Float32Array.from(v, (_, i) => Math.cos(1.3 * i + 0.7 * s + t) * (1 + 0.5 * Math.sin(s + i)) + 0.1)]));
}
type Poison = "NaN" | "Inf" | "zero";
function poisoned(s: number, kind: Poison): Record<string, Float32Array> {
  const g = gradAt(s);
  if (kind === "zero") for (const v of Object.values(g)) v.fill(0);
  else g["b.weight"][5] = kind === "NaN" ? Number.NaN : Number.POSITIVE_INFINITY;
  return g;
}

async function gpuRun(config: string, options: { validate?: boolean; chunkElements?: number } = {}): Promise<GpuRun> {
  return compile(config, { target: "webgpu" }).init(tensors(bigModel()), { device: device!, chunkElements: CHUNK, ...options });
}

/** One step with gradient g, alternating the two upload paths (both a writeBuffer, never a read). */
async function stepWith(run: GpuRun | Run, s: number, g: Record<string, Float32Array>, via: "write" | "step" = s % 2 ? "step" : "write"): Promise<void> {
  if (via === "write") {
    run.writeGrads(g);
    await run.step({ loss: plateauLoss(s) });
  } else await run.step({ grads: g, loss: plateauLoss(s) });
}

function expectWithinUlps(gpu: Record<string, Float32Array>, ref: Record<string, Float32Array>, steps: number, what: string): void {
  for (const [k, r] of Object.entries(ref)) {
    const v = gpu[k];
    expect(v.length, `${what}: ${k}`).toBe(r.length);
    r.forEach((x, i) => {
      const tol = PER_STEP * steps * Math.max(1, Math.abs(x));
      if (!(Math.abs(v[i] - x) <= tol)) throw new Error(`${what}, ${k}[${i}]: gpu ${v[i]} vs js ${x} (tolerance ${tol})`);
    });
  }
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** params, every state slot, the counters and the step counts of a run (after a clean sync). */
async function fullState(run: GpuRun) {
  const arenas: Record<string, Record<string, Float32Array>> = { params: await run.readParams() };
  for (const a of run.artifact.arenas) if (a.role === "state") arenas[a.name] = await run.state(a.name);
  return { arenas, count: run.count, outerCount: run.outerCount, counters: run.counterValues, phase: run.phase };
}

function expectBitIdentical(got: Awaited<ReturnType<typeof fullState>>, want: Awaited<ReturnType<typeof fullState>>, what: string): void {
  expect({ count: got.count, outerCount: got.outerCount, counters: got.counters, phase: got.phase }, `${what}: counts`).toEqual({ count: want.count, outerCount: want.outerCount, counters: want.counters, phase: want.phase });
  expect(Object.keys(got.arenas).sort(), `${what}: slots`).toEqual(Object.keys(want.arenas).sort());
  for (const [slot, ts] of Object.entries(want.arenas)) {
    for (const [k, w] of Object.entries(ts)) {
      const g = got.arenas[slot][k];
      const a = bits(g);
      const b = bits(w);
      const i = b.findIndex((x, j) => a[j] !== x);
      if (a.length !== b.length || i >= 0) throw new Error(`${what}: ${slot} ${k}[${i}] is ${g[i]} (0x${a[i]?.toString(16)}), a run that stopped before the refused step has ${w[i]} (0x${b[i]?.toString(16)})`);
    }
  }
}

/** sync() must throw the refusal of step k with `code`. */
async function expectRefusal(p: Promise<unknown>, code: string, k: number, what: string): Promise<OptcRuntimeError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (!(err instanceof OptcRuntimeError)) throw new Error(`${what}: expected ${code} at step ${k}, got ${err === undefined ? "no error" : String(err)}`);
  expect(err.code, `${what}: ${err.message}`).toBe(code);
  expect(err.summary.startsWith(`step ${k}: `), `${what}: the message should start with "step ${k}: ": ${err.message}`).toBe(true);
  expect(err.message, `${what}: should say the steps changed nothing`).toMatch(/nothing|unchanged/i);
  return err;
}

// ------------------------------------------------------------------ a device gradient for opaque SAM

const GRAD_WGSL = /* wgsl */ `
struct Range { offset: u32, size: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read_write> grads: array<f32>;
@group(0) @binding(2) var<uniform> range: Range;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < range.size) {
    let i = range.offset + id.x;
    grads[i] = 2.0 * params[i] + 0.5;
  }
}`;

interface DeviceGradIo {
  device: GPUDevice;
  params: GPUBuffer;
  grads: GPUBuffer;
  tensors: { name: string; offset: number; size: number; shape: number[] }[];
}

const gradPipelines = new WeakMap<GPUDevice, GPUComputePipeline>();

/** Submits grads = 2 * params + 0.5 on the GPU (one submit, counted in `own.submits`). */
function submitGrad(d: GPUDevice, params: GPUBuffer, grads: GPUBuffer, layout: DeviceGradIo["tensors"], own: { submits: number }): void {
  let pipeline = gradPipelines.get(d);
  if (!pipeline) gradPipelines.set(d, (pipeline = d.createComputePipeline({ layout: "auto", compute: { module: d.createShaderModule({ code: GRAD_WGSL }), entryPoint: "main" } })));
  const enc = d.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  for (const t of layout) {
    const u = d.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    d.queue.writeBuffer(u, 0, new Uint32Array([t.offset, t.size, 0, 0]));
    pass.setBindGroup(0, d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: grads } }, { binding: 2, resource: { buffer: u } }] }));
    pass.dispatchWorkgroups(Math.ceil(t.size / 64));
  }
  pass.end();
  d.queue.submit([enc.finish()]);
  own.submits++;
}

/** Writes NaN into one element of a gradient buffer on the queue (after the work already submitted). */
function poisonBuffer(d: GPUDevice, grads: GPUBuffer, layout: DeviceGradIo["tensors"]): void {
  const t = layout.find((x) => x.name === "b.weight")!;
  d.queue.writeBuffer(grads, 4 * (t.offset + 5), new Float32Array([Number.NaN]));
}

/** A synchronous deviceGradFn: the gradient at the perturbed params, computed on the GPU into the run's buffer (NaN in one element when `poison(call)`). */
function deviceGradSync(own: { submits: number; calls: number }, poison: (call: number) => boolean = () => false) {
  // Typed as loosely as optc's DeviceGradFn may type its io (unknown device and buffers): the contract says they are a GPUDevice and GPUBuffers.
  return (lent: { device: unknown; params: unknown; grads: unknown; tensors: DeviceGradIo["tensors"] }, _i: number): void => {
    const io = lent as DeviceGradIo;
    expect(io.device).toBe(device);
    own.calls++;
    submitGrad(io.device, io.params, io.grads, io.tensors, own);
    if (poison(own.calls)) poisonBuffer(io.device, io.grads, io.tensors);
  };
}
/** The same, as an async function (what step({ deviceGradFn }) may be given). */
function deviceGrad(own: { submits: number; calls: number }, poison: (call: number) => boolean = () => false) {
  const sync = deviceGradSync(own, poison);
  return async (lent: Parameters<typeof sync>[0], i: number): Promise<void> => sync(lent, i);
}

/** The gradient at the current (true) params, which an opaque step starts from, written on the GPU (no read). */
function gradAtParams(run: GpuRun, own: { submits: number }): void {
  const b = run.buffers;
  submitGrad(device!, b.params, b.grads, run.tensors, own);
}
const cpuGrad = (p: Record<string, Float32Array>, _i: number, out: Record<string, Float32Array>) => {
  for (const [k, x] of Object.entries(p)) for (let j = 0; j < x.length; j++) out[k][j] = 2 * x[j] + 0.5;
};

// ------------------------------------------------------------------ (a) no round trips while steps are issued

const STEPS = 10;
const PLAIN: [string, string][] = [...Object.entries(CATALOG_CONFIGS), ["sam transparent sgd/sgd", "sam(sgd(0.1), sgd(0.05), sync=3)"]];
const perStep: string[] = [];

describe("10 queued steps: no mapAsync, a few submits per step, the JS target's numbers at sync", () => {
  afterAll(() => console.log(`submits / dispatches per step (10 queued steps, chunks of ${CHUNK}):\n${perStep.join("\n")}`));
  for (const [name, config] of PLAIN) {
    it(`${name}: ${config}`, async () => {
      if (!device) return;
      const run = await gpuRun(config);
      const js = makeRun(config, bigModel());
      reset();
      for (let s = 1; s <= STEPS; s++) await stepWith(run, s, gradAt(s));
      const issued = { ...calls };
      perStep.push(`  ${name}: ${(issued.submit / STEPS).toFixed(1)} submits, ${(issued.dispatch / STEPS).toFixed(1)} dispatches`);
      expect(issued.mapAsync, `${name}: mapAsync calls while 10 steps were issued`).toBe(0);
      expect(issued.workDone, `${name}: onSubmittedWorkDone calls while 10 steps were issued (step() must not wait)`).toBe(0);
      expect(issued.submit / STEPS, `${name}: submits per step`).toBeLessThanOrEqual(2);
      expect(run.count).toBe(STEPS);
      const report = await run.sync();
      expect(report.steps).toBe(STEPS);
      for (let s = 1; s <= STEPS; s++) await stepWith(js, s, gradAt(s));
      expect(run.count).toBe(js.count);
      expect(run.outerCount).toBe(js.outerCount);
      expectCountersMatch(js.artifact, run.counterValues, js.counterValues, STEPS);
      expectWithinUlps(await run.readParams(), js.readParams(), STEPS, name);
      run.destroy();
    });
  }

  const OPAQUE = ["sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=3, opaque_mode=true)", "sam(adam(0.05), chain(normalize(), adam(0.01)), sync=2, opaque_mode=true)"];
  for (const config of OPAQUE) {
    it(`opaque SAM with a deviceGradFn (a WGSL kernel, grads = 2 params + 0.5): ${config}`, async () => {
      if (!device) return;
      const run = await gpuRun(config);
      const js = makeRun(config, bigModel());
      const cycle = run.artifact.protocol.step;
      const evaluations = cycle.kind === "cycle" ? cycle.evaluations : 0;
      const own = { submits: 0, calls: 0 };
      const deviceGradFn = deviceGrad(own);
      reset();
      for (let s = 0; s < STEPS; s++) {
        gradAtParams(run, own);
        await run.step({ deviceGradFn });
      }
      const issued = { ...calls };
      const runtimeSubmits = issued.submit - own.submits;
      perStep.push(`  opaque ${config}: ${(runtimeSubmits / STEPS).toFixed(1)} runtime submits (+ ${(own.submits / STEPS).toFixed(1)} of the test's gradient kernel), ${evaluations} evaluations per step`);
      expect(own.calls).toBe(STEPS * evaluations);
      expect(issued.mapAsync, "mapAsync calls while 10 opaque steps were issued").toBe(0);
      expect(issued.workDone, "onSubmittedWorkDone calls while 10 opaque steps were issued").toBe(0);
      // A cycle is evaluations + 1 phases with the caller's GPU work between them: at most 2 submits per phase.
      expect(runtimeSubmits / STEPS).toBeLessThanOrEqual(2 * (evaluations + 1));
      expect((await run.sync()).steps).toBe(STEPS);
      for (let s = 0; s < STEPS; s++) {
        cpuGrad(js.params, 0, js.grads);
        await js.step({ gradFn: cpuGrad });
      }
      expect(run.count).toBe(js.count);
      expect(run.outerCount).toBe(js.outerCount);
      expect(run.counterValues).toEqual(js.counterValues);
      expectWithinUlps(await run.readParams(), js.readParams(), STEPS * (evaluations + 1), config);
      run.destroy();
    });
  }

  it("opaque SAM with a CPU gradFn still works: one read of the perturbed params per evaluation, nothing more", async () => {
    if (!device) return;
    const config = OPAQUE[0];
    const run = await gpuRun(config);
    const js = makeRun(config, bigModel());
    const cycle = run.artifact.protocol.step;
    const evaluations = cycle.kind === "cycle" ? cycle.evaluations : 0;
    const own = { submits: 0 };
    reset();
    for (let s = 0; s < 4; s++) {
      gradAtParams(run, own);
      await run.step({ gradFn: cpuGrad });
    }
    expect(calls.mapAsync).toBeLessThanOrEqual(4 * evaluations);
    await run.sync();
    for (let s = 0; s < 4; s++) {
      cpuGrad(js.params, 0, js.grads);
      await js.step({ gradFn: cpuGrad });
    }
    expect(run.counterValues).toEqual(js.counterValues);
    expectWithinUlps(await run.readParams(), js.readParams(), 4 * (evaluations + 1), config);
    run.destroy();
  });

  it("MAX_UNSYNCED_STEPS: past it, step() syncs by itself", async () => {
    if (!device) return;
    expect(Number.isInteger(MAX_UNSYNCED_STEPS) && MAX_UNSYNCED_STEPS >= 1).toBe(true);
    const run = await gpuRun("sgd(0.01)");
    const js = makeRun("sgd(0.01)", bigModel());
    const n = MAX_UNSYNCED_STEPS + 3;
    reset();
    for (let s = 1; s <= n; s++) await stepWith(run, s, gradAt(s % 7));
    expect(calls.mapAsync + calls.workDone, "step() waited at least once").toBeGreaterThan(0);
    const report = await run.sync();
    expect(report.steps).toBeGreaterThanOrEqual(0);
    expect(report.steps).toBeLessThanOrEqual(MAX_UNSYNCED_STEPS);
    for (let s = 1; s <= n; s++) await stepWith(js, s, gradAt(s % 7));
    expect(run.count).toBe(n);
    expectWithinUlps(await run.readParams(), js.readParams(), n, "sgd");
    run.destroy();
  });
  it("stepQueued(): step() without a promise, the same numbers, no read; R113 past MAX_UNSYNCED_STEPS; R112 for opaque SAM", async () => {
    if (!device) return;
    const cfg = "chain(clip_by_global_norm(1.0), adamw(1e-3))";
    const a = await gpuRun(cfg);
    const b = await gpuRun(cfg);
    reset();
    for (let s = 1; s <= 6; s++) {
      a.writeGrads(gradAt(s));
      a.stepQueued();
      b.writeGrads(gradAt(s));
      await b.step();
    }
    expect(calls.mapAsync + calls.workDone).toBe(0);
    expect(a.count).toBe(6);
    expect(await a.sync()).toEqual({ steps: 6 });
    await b.sync();
    expect(Array.from((await a.readParams())["a.weight"])).toEqual(Array.from((await b.readParams())["a.weight"]));
    for (let s = 0; s < MAX_UNSYNCED_STEPS; s++) a.stepQueued();
    expect(() => a.stepQueued()).toThrow(/R113/);
    expect(await a.sync()).toEqual({ steps: MAX_UNSYNCED_STEPS });
    a.stepQueued();
    await a.sync();
    const opaque = await gpuRun("sam(sgd(0.1), sgd(0.05), sync=3, opaque_mode=true)");
    expect(() => opaque.stepQueued()).toThrow(/R112/);
    expect(() => a.stepQueued({ deviceGradFn: deviceGradSync({ submits: 0, calls: 0 }) })).toThrow(/R112/);
    for (const r of [a, b, opaque]) r.destroy();
  }, 120_000);

  it("stepQueued({ deviceGradFn }): opaque SAM without a promise, bit-identical to step({ deviceGradFn }); NaN at step 3 of 5 refused at sync; an async deviceGradFn is R112, state unchanged", async () => {
    if (!device) return;
    const config = "sam(adam(0.05), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true)";
    const queued = await gpuRun(config);
    const awaited = await gpuRun(config);
    const [oq, oa] = [{ submits: 0, calls: 0 }, { submits: 0, calls: 0 }];
    reset();
    for (let s = 1; s <= 4; s++) {
      gradAtParams(queued, oq);
      queued.stepQueued({ deviceGradFn: deviceGradSync(oq) });
      gradAtParams(awaited, oa);
      await awaited.step({ deviceGradFn: deviceGrad(oa) });
    }
    expect(calls.mapAsync + calls.workDone, "round trips while 4 cycles were queued").toBe(0);
    expect(queued.count).toBe(4);
    expect(queued.outerCount).toBe(4);
    expect(await queued.sync()).toEqual({ steps: 4 });
    await awaited.sync();
    expectBitIdentical(await fullState(queued), await fullState(awaited), "stepQueued vs step, 4 opaque cycles");
    const before = await fullState(queued);
    gradAtParams(queued, oq);
    expect(() => queued.stepQueued({ deviceGradFn: deviceGrad(oq) })).toThrow(/R112.*promise/);
    expect(() => queued.stepQueued({ deviceGradFn: () => { throw new Error("boom"); } })).toThrow(/R205/);
    expect(queued.count).toBe(4);
    expectBitIdentical(await fullState(queued), before, "after an async deviceGradFn (R112) and a throwing one (R205)");
    // NaN in the last evaluation of cycle 3 of 5 (counting from here): refused at sync, state as after 2.
    const poisoned = { submits: 0, calls: 0 };
    let afterTwo: Awaited<ReturnType<typeof fullState>> | undefined;
    for (let s = 1; s <= 5; s++) {
      gradAtParams(queued, poisoned);
      queued.stepQueued({ deviceGradFn: deviceGradSync(poisoned, (c) => c === 3 * 2) });
      if (s === 2) {
        await queued.sync();
        afterTwo = await fullState(queued);
      }
    }
    await expectRefusal(queued.sync(), "R201", 4 + 3, "stepQueued cycle with NaN in deviceGradFn's last gradient");
    expectBitIdentical(await fullState(queued), afterTwo!, "refused queued cycle");
    for (const r of [queued, awaited]) r.destroy();
  }, 120_000);
});

// ------------------------------------------------------------------ (b) a refused step of a queue changes nothing

const ATOMIC: [string, string][] = [
  ["sgd", CATALOG_CONFIGS.sgd],
  ["adam", CATALOG_CONFIGS.adam],
  ["clip+adamw", "chain(clip_by_global_norm(1.0), adamw(1e-3))"],
  ["lamb", CATALOG_CONFIGS.lamb],
  ["apply_every", CATALOG_CONFIGS.apply_every],
  ["MultiSteps", CATALOG_CONFIGS.MultiSteps],
  ["sam", CATALOG_CONFIGS.sam],
  ["normalize", CATALOG_CONFIGS.normalize],
];

describe("a non-finite gradient in a queue of 8 steps: sync throws R201 for that step, and the run is exactly one that stopped before it", () => {
  for (const [name, config] of ATOMIC) {
    for (const kind of ["NaN", "Inf"] as const) {
      it(`${name} (${config}), ${kind} at step 1, 3 and 6`, async () => {
        if (!device) return;
        for (const k of [1, 3, 6]) {
          const what = `${name}, ${kind} at step ${k}`;
          // NaN goes in through step({ grads }), Inf through writeGrads: both upload paths.
          const via = kind === "NaN" ? "step" : "write";
          const run = await gpuRun(config);
          reset();
          for (let s = 1; s <= 8; s++) await stepWith(run, s, s === k ? poisoned(s, kind) : gradAt(s), via);
          expect(calls.mapAsync, `${what}: mapAsync while queued`).toBe(0);
          expect(run.count, `${what}: count before sync (steps issued)`).toBe(8);
          await expectRefusal(run.sync(), "R201", k, what);
          expect(run.count, `${what}: count after the refusal`).toBe(k - 1);
          const ref = await gpuRun(config);
          for (let s = 1; s < k; s++) await stepWith(ref, s, gradAt(s), via);
          expect((await ref.sync()).steps).toBe(k - 1);
          expectBitIdentical(await fullState(run), await fullState(ref), what);
          // Both continue: two more steps each, clean syncs, still identical.
          for (const r of [run, ref]) {
            for (let s = k; s < k + 2; s++) await stepWith(r, s, gradAt(s + 10), via);
            expect((await r.sync()).steps, `${what}: the sync after the refusal`).toBe(2);
          }
          expectBitIdentical(await fullState(run), await fullState(ref), `${what}, then 2 more steps`);
          expect(JSON.stringify(await run.saveState())).toBe(JSON.stringify(await ref.saveState()));
          run.destroy();
          ref.destroy();
        }
      });
    }
  }

  it("opaque SAM with a deviceGradFn: NaN in the gradient a step starts from, or in deviceGradFn's, at step 3 of 6", async () => {
    if (!device) return;
    const config = "sam(adam(0.05), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true)";
    const k = 3;
    for (const where of ["the step's own gradient", "deviceGradFn's first", "deviceGradFn's last"] as const) {
      const what = `${config}, NaN in ${where} gradient at step ${k}`;
      const run = await gpuRun(config);
      const cycle = run.artifact.protocol.step;
      const evaluations = cycle.kind === "cycle" ? cycle.evaluations : 0;
      expect(evaluations).toBe(2);
      const own = { submits: 0, calls: 0 };
      // deviceGradFn's calls of step s are (s - 1) * evaluations + 1 .. s * evaluations.
      const bad = where === "deviceGradFn's first" ? (k - 1) * evaluations + 1 : where === "deviceGradFn's last" ? k * evaluations : -1;
      const deviceGradFn = deviceGrad(own, (c) => c === bad);
      reset();
      for (let s = 1; s <= 6; s++) {
        gradAtParams(run, own);
        if (s === k && where === "the step's own gradient") poisonBuffer(device, run.buffers.grads, run.tensors);
        await run.step({ deviceGradFn });
      }
      expect(calls.mapAsync, `${what}: mapAsync while queued`).toBe(0);
      await expectRefusal(run.sync(), "R201", k, what);
      const ref = await gpuRun(config);
      const refOwn = { submits: 0, calls: 0 };
      for (let s = 1; s < k; s++) {
        gradAtParams(ref, refOwn);
        await ref.step({ deviceGradFn: deviceGrad(refOwn) });
      }
      await ref.sync();
      expectBitIdentical(await fullState(run), await fullState(ref), what);
      for (const [r, o] of [[run, own], [ref, refOwn]] as const) {
        for (let s = 0; s < 2; s++) {
          gradAtParams(r, o);
          await r.step({ deviceGradFn: deviceGrad(o) });
        }
        expect((await r.sync()).steps).toBe(2);
      }
      expectBitIdentical(await fullState(run), await fullState(ref), `${what}, then 2 more steps`);
      run.destroy();
      ref.destroy();
    }
  });

  for (const [config, huge] of [["sgd(1e30)", 1e10], ["adam(1e-3)", 1e21], ["lamb(0.01)", 1e21]] as const) {
    it(`${config}: a step that would store a non-finite float32 (gradient ${huge} at step 3 of 6) is R207 at sync, as the JS target refuses it; state as before it`, async () => {
      if (!device) return;
      const k = 3;
      const g = (s: number) => {
        const x = gradAt(s);
        if (s === k) x["b.weight"][5] = huge;
        return x;
      };
      const run = await gpuRun(config);
      reset();
      for (let s = 1; s <= 6; s++) await stepWith(run, s, g(s));
      expect(calls.mapAsync).toBe(0);
      await expectRefusal(run.sync(), "R207", k, config);
      const js = makeRun(config, bigModel());
      for (let s = 1; s < k; s++) await stepWith(js, s, g(s));
      await expect(stepWith(js, k, g(k))).rejects.toMatchObject({ code: "R207" });
      const ref = await gpuRun(config);
      for (let s = 1; s < k; s++) await stepWith(ref, s, g(s));
      await ref.sync();
      expectBitIdentical(await fullState(run), await fullState(ref), config);
      for (const r of [run, ref]) {
        for (let s = k; s < k + 2; s++) await stepWith(r, s, gradAt(s + 10));
        expect((await r.sync()).steps).toBe(2);
      }
      expectBitIdentical(await fullState(run), await fullState(ref), `${config}, then 2 more steps`);
      run.destroy();
      ref.destroy();
    });
  }

  it("adam: a NaN the caller wrote into the params buffer between queued steps is R206 at the next step's sync; state as before it", async () => {
    if (!device) return;
    const config = CATALOG_CONFIGS.adam;
    const k = 3;
    const setParam = (run: GpuRun, x: number) => {
      const t = run.tensors.find((v) => v.name === "a.bias")!;
      device!.queue.writeBuffer(run.buffers.params, 4 * (t.offset + 2), new Float32Array([x]));
    };
    const run = await gpuRun(config);
    for (let s = 1; s <= 5; s++) {
      if (s === k) setParam(run, Number.NaN);
      await stepWith(run, s, gradAt(s));
    }
    await expectRefusal(run.sync(), "R206", k, config);
    const ref = await gpuRun(config);
    for (let s = 1; s < k; s++) await stepWith(ref, s, gradAt(s));
    setParam(ref, Number.NaN);
    await ref.sync();
    expectBitIdentical(await fullState(run), await fullState(ref), config);
    for (const r of [run, ref]) {
      setParam(r, 0.25);
      for (let s = k; s < k + 2; s++) await stepWith(r, s, gradAt(s));
      expect((await r.sync()).steps).toBe(2);
    }
    expectBitIdentical(await fullState(run), await fullState(ref), `${config}, params repaired, then 2 more steps`);
    run.destroy();
    ref.destroy();
  });

  for (const reader of ["readParams", "state", "saveState"] as const) {
    it(`${reader}() syncs first and throws the pending refusal; the next read is clean`, async () => {
      if (!device) return;
      const run = await gpuRun("adam(0.01)");
      for (let s = 1; s <= 3; s++) await stepWith(run, s, s === 2 ? poisoned(s, "NaN") : gradAt(s));
      const read = () => (reader === "readParams" ? run.readParams() : reader === "state" ? run.state(run.artifact.arenas.find((a) => a.role === "state")!.name) : run.saveState());
      await expectRefusal(read(), "R201", 2, reader);
      expect(run.count).toBe(1);
      await read();
      const ref = await gpuRun("adam(0.01)");
      await stepWith(ref, 1, gradAt(1));
      await ref.sync();
      expectBitIdentical(await fullState(run), await fullState(ref), reader);
      run.destroy();
      ref.destroy();
    });
  }
});

// ------------------------------------------------------------------ (c) guards that are the config's own, decided on the device

describe("configs that handle non-finite gradients themselves, queued: counters at sync, the JS target's numbers", () => {
  const cases: [string, number[], number][] = [
    ["apply_if_finite(adam(1e-2), 2)", [2, 5, 6], 10],
    [CATALOG_CONFIGS.apply_if_finite, [1, 4, 5, 6, 9], 10],
    [CATALOG_CONFIGS.skip_not_finite, [2, 3, 7], 10],
    ["MultiSteps(adam(0.01), every_k_schedule=3, should_skip_update_fn=skip_not_finite)", [1, 3, 4, 8], 10],
  ];
  for (const [config, bad, steps] of cases) {
    it(`${config}: NaN at steps ${bad.join(", ")} of ${steps}`, async () => {
      if (!device) return;
      const run = await gpuRun(config);
      const js = makeRun(config, bigModel());
      const g = (s: number) => (bad.includes(s) ? poisoned(s, s % 2 ? "NaN" : "Inf") : gradAt(s));
      reset();
      for (let s = 1; s <= steps; s++) await stepWith(run, s, g(s));
      expect(calls.mapAsync, "mapAsync while queued").toBe(0);
      expect((await run.sync()).steps).toBe(steps);
      for (let s = 1; s <= steps; s++) await stepWith(js, s, g(s));
      expect(run.count).toBe(js.count);
      expect(run.outerCount).toBe(js.outerCount);
      expect(run.counterValues).toEqual(js.counterValues);
      expectWithinUlps(await run.readParams(), js.readParams(), steps, config);
      for (const a of run.artifact.arenas) if (a.role === "state") expectWithinUlps(await run.state(a.name), js.state(a.name), steps, `${config} ${a.name}`);
      run.destroy();
    });
  }

  it("apply_if_finite(adam(1e-2), 2) gives up at the third consecutive NaN: R202 at sync for that step, as the JS target refuses it", async () => {
    if (!device) return;
    const config = "apply_if_finite(adam(1e-2), 2)";
    const bad = [3, 4, 5];
    const g = (s: number) => (bad.includes(s) ? poisoned(s, "NaN") : gradAt(s));
    const run = await gpuRun(config);
    for (let s = 1; s <= 7; s++) await stepWith(run, s, g(s));
    expect(run.count).toBe(7);
    await expectRefusal(run.sync(), "R202", 5, config);
    expect(run.count).toBe(4);
    const js = makeRun(config, bigModel());
    for (let s = 1; s <= 4; s++) await stepWith(js, s, g(s));
    await expect(stepWith(js, 5, g(5))).rejects.toMatchObject({ code: "R202" });
    expect(run.counterValues).toEqual(js.counterValues);
    expectWithinUlps(await run.readParams(), js.readParams(), 4, config);
    const ref = await gpuRun(config);
    for (let s = 1; s <= 4; s++) await stepWith(ref, s, g(s));
    await ref.sync();
    expectBitIdentical(await fullState(run), await fullState(ref), config);
    for (let s = 5; s <= 6; s++) {
      await stepWith(run, s, gradAt(s + 10));
      await stepWith(js, s, gradAt(s + 10));
    }
    expect((await run.sync()).steps).toBe(2);
    expect(run.counterValues).toEqual(js.counterValues);
    expectWithinUlps(await run.readParams(), js.readParams(), 6, `${config}, 2 more steps`);
    run.destroy();
    ref.destroy();
  });

  it("normalize() of an all-zero gradient: R203 at sync for that step; state as before it", async () => {
    if (!device) return;
    const config = CATALOG_CONFIGS.normalize;
    const g = (s: number) => (s === 4 ? poisoned(s, "zero") : gradAt(s));
    const run = await gpuRun(config);
    reset();
    for (let s = 1; s <= 6; s++) await stepWith(run, s, g(s));
    expect(calls.mapAsync).toBe(0);
    await expectRefusal(run.sync(), "R203", 4, config);
    const js = makeRun(config, bigModel());
    for (let s = 1; s <= 3; s++) await stepWith(js, s, g(s));
    await expect(stepWith(js, 4, g(4))).rejects.toMatchObject({ code: "R203" });
    const ref = await gpuRun(config);
    for (let s = 1; s <= 3; s++) await stepWith(ref, s, g(s));
    await ref.sync();
    expectBitIdentical(await fullState(run), await fullState(ref), config);
    expectWithinUlps(await run.readParams(), js.readParams(), 3, config);
    run.destroy();
    ref.destroy();
  });

  it("loadState() drops a pending refusal: the next sync is clean and the run continues from the snapshot", async () => {
    if (!device) return;
    const config = CATALOG_CONFIGS.adam;
    const run = await gpuRun(config);
    for (let s = 1; s <= 3; s++) await stepWith(run, s, gradAt(s));
    const snap = await run.saveState();
    await stepWith(run, 4, poisoned(4, "NaN"));
    await stepWith(run, 5, gradAt(5));
    await run.loadState(snap);
    await run.sync();
    expect(run.count).toBe(3);
    for (let s = 4; s <= 5; s++) await stepWith(run, s, gradAt(s));
    expect((await run.sync()).steps).toBe(2);
    const ref = await gpuRun(config);
    for (let s = 1; s <= 5; s++) await stepWith(ref, s, gradAt(s));
    await ref.sync();
    expectBitIdentical(await fullState(run), await fullState(ref), "loadState after a refused step");
    run.destroy();
    ref.destroy();
  });
});

// ------------------------------------------------------------------ (d) validate: false runs fewer dispatches

describe("init(params, { device, validate: false }) skips the finiteness checks: fewer dispatches per step", () => {
  for (const config of ["sgd(0.01)", "adam(1e-3)"]) {
    it(config, async () => {
      if (!device) return;
      const count = async (validate: boolean) => {
        const run = await gpuRun(config, { validate, chunkElements: undefined });
        reset();
        for (let s = 1; s <= STEPS; s++) await stepWith(run, s, gradAt(s));
        const issued = { ...calls };
        await run.sync();
        const params = await run.readParams();
        run.destroy();
        return { dispatches: issued.dispatch / STEPS, submits: issued.submit / STEPS, mapAsync: issued.mapAsync, params };
      };
      const on = await count(true);
      const off = await count(false);
      console.log(`${config}: dispatches per step ${on.dispatches} (validate on) vs ${off.dispatches} (validate: false); submits ${on.submits} vs ${off.submits}`);
      expect(on.mapAsync).toBe(0);
      expect(off.mapAsync).toBe(0);
      expect(off.dispatches).toBeLessThan(on.dispatches);
      expectWithinUlps(off.params, on.params, STEPS, `${config}, validate: false vs on`);
    });
  }
});
