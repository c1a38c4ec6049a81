/**
 * The runtime under hostile use: non-finite values that must refuse the step with params, grads
 * and state bit-identical; a run used while a step is in flight; aborted and never-resolving
 * gradFns; damaged and hand-edited snapshots; models too large to allocate; API calls with the
 * wrong shapes. Every case asserts its R-code (or E-code) and finishes in bounded time.
 */
import gpujs from "gpu.js";
import { describe, expect, it } from "vitest";
import { compile, compileReference, OptcError, OptcRuntimeError, type GpuJsInstance, type Run } from "../../index.js";
import { decodeState, encodeState } from "../../runtime/state.js";

const { GPU } = gpujs as unknown as { GPU: new (s: { mode: string }) => GpuJsInstance };

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof OptcRuntimeError || e instanceof OptcError) return e instanceof OptcRuntimeError ? e.code : e.diagnostics[0].code;
    throw e;
  }
  throw new Error("expected an optc error");
}

async function asyncCodeOf(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof OptcRuntimeError) return e.code;
    if (e instanceof OptcError) return e.diagnostics[0].code;
    throw e;
  }
  throw new Error("expected an optc error");
}

/** Everything a refused step must leave as it was: params, grads, every state slot, counters. */
function fingerprint(run: Run): string {
  const s = run.saveState();
  const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer)).join(",");
  return JSON.stringify({ arenas: Object.fromEntries(Object.entries(s.arenas).map(([k, v]) => [k, bits(v)])), counters: s.counters, count: s.count, grads: bits(run.grads.w) });
}

const tensors = (w: number[]) => ({ w: { shape: [w.length], data: Float32Array.from(w) } });

describe("non-finite values refuse the step, state bit-identical (JS kernels, wasm kernels and the interpreter alike)", () => {
  const cases: [string, string, (run: Run) => void, string][] = [
    ["a gradient that overflows the update (sgd(1e30) · 1e10)", "sgd(1e30)", (r) => r.grads.w.set([1e10, 0, 0]), "R207"],
    ["a finite gradient whose square overflows adam's nu (|g| = 1e21: 0.001·g² = 1e39)", "adam(1e-3)", (r) => r.grads.w.set([1e21, 1, 1]), "R207"],
    ["a NaN the caller wrote into the params (lamb would spread it over the tensor)", "lamb(1e-3)", (r) => ((r.params.w[1] = Number.NaN), r.grads.w.set([1, 1, 1])), "R206"],
    ["an Infinity in the params", "sgd(0.1)", (r) => ((r.params.w[0] = Infinity), r.grads.w.set([1, 1, 1])), "R206"],
    ["NaN gradients", "adam(1e-3)", (r) => r.grads.w.set([1, Number.NaN, 1]), "R201"],
    ["-Inf gradients through clip_by_global_norm", "chain(clip_by_global_norm(1.0), sgd(0.1))", (r) => r.grads.w.set([1, -Infinity, 1]), "R201"],
    ["an overflow after a first pass that reduced", "chain(clip_by_global_norm(1.0), sgd(3e38))", (r) => ((r.params.w[0] = -3e38), r.grads.w.set([1e30, 1, 1])), "R207"],
  ];
  for (const [what, config, prepare, code] of cases) {
    for (const backend of ["js", "interp", "wasm"] as const) {
      it(`${what} (${backend}): ${code}`, async () => {
        const run = (backend === "interp" ? compileReference(config) : compile(config, { target: backend })).initSync(tensors([0.5, -1, 2]));
        run.grads.w.set([0.1, 0.2, 0.3]);
        await run.step();
        prepare(run);
        const before = fingerprint(run);
        expect(await asyncCodeOf(() => run.step())).toBe(code);
        expect(fingerprint(run)).toBe(before);
      });
    }
  }
  it("apply_if_finite still skips NaN gradients itself, and an overflow is still refused", async () => {
    const run = compile("apply_if_finite(sgd(1e30), 3)").initSync(tensors([1, 2, 3]));
    run.grads.w.set([Number.NaN, 1, 1]);
    await run.step();
    expect(Array.from(run.params.w)).toEqual([1, 2, 3]);
    run.grads.w.set([1e10, 1, 1]);
    const before = fingerprint(run);
    expect(await asyncCodeOf(() => run.step())).toBe("R207");
    expect(fingerprint(run)).toBe(before);
  });
  it("a refused step({ grads }) puts the caller's previous gradients back", async () => {
    const run = compile("sgd(0.1)").initSync(tensors([1, 2, 3]));
    run.grads.w.set([7, 8, 9]);
    expect(await asyncCodeOf(() => run.step({ grads: { w: [1, Number.NaN, 1] } }))).toBe("R201");
    expect(Array.from(run.grads.w)).toEqual([7, 8, 9]);
    expect(codeOf(() => run.stepSync({ grads: { w: [1e39, 0, 0] } }))).toBe("R201");
    expect(Array.from(run.grads.w)).toEqual([7, 8, 9]);
  });
  it("validate: false skips every check (the caller's choice): the overflow goes through", async () => {
    const run = compile("sgd(1e30)").initSync(tensors([1, 2, 3]), { validate: false });
    run.grads.w.set([1e10, 0, 0]);
    await run.step();
    expect(run.params.w[0]).toBe(-Infinity);
  });
  it("gpu.js (cpu mode) refuses an overflow (R207) and NaN gradients (R201), state unchanged", async () => {
    for (const [config, grads, code] of [["sgd(1e30)", [1e10, 0, 0], "R207"], ["adam(1e-3)", [1e21, 1, 1], "R207"], ["adam(1e-3)", [1, Number.NaN, 1], "R201"]] as const) {
      const run = await compile(config, { target: "gpujs" }).init(tensors([0.5, -1, 2]), { gpu: new GPU({ mode: "cpu" }) });
      await run.step({ grads: { w: [0.1, 0.2, 0.3] } });
      const before = JSON.stringify(await run.saveState());
      // GPU targets decide on the device and report the refusal at sync().
      expect(
        await asyncCodeOf(async () => {
          await run.step({ grads: { w: [...grads] } });
          await run.sync();
        }),
      ).toBe(code);
      expect(JSON.stringify(await run.saveState())).toBe(before);
      run.destroy();
    }
  });
  it("init data finite as a double but Inf as a float32 (1e39) is R104", () => {
    expect(codeOf(() => compile("sgd(0.1)").initSync({ w: [1e39] }))).toBe("R104");
    expect(codeOf(() => compile("sgd(0.1)").initSync({ w: { shape: [1], data: ["1" as unknown as number] } }))).toBe("R104");
  });
});

describe("a run is a small state machine: one call at a time while a step is in flight", () => {
  const opaque = "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=3, opaque_mode=true)";
  it("saveState, loadState, reset, writeGrads and a second step during an awaiting gradFn are R109; the step then completes", async () => {
    const run = compile(opaque).initSync(tensors([1, 2, 3]));
    const snap = run.saveState();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    run.grads.w.set([1, 1, 1]);
    const pending = run.step({ gradFn: async (_p, _i, out) => (await gate, out.w.set([1, 1, 1])) });
    await new Promise((r) => setTimeout(r, 10));
    expect(codeOf(() => run.saveState())).toBe("R109");
    expect(codeOf(() => run.loadState(snap))).toBe("R109");
    expect(codeOf(() => run.reset())).toBe("R109");
    expect(codeOf(() => run.writeGrads({ w: [0, 0, 0] }))).toBe("R109");
    expect(await asyncCodeOf(() => run.step({ gradFn: () => {} }))).toBe("R109");
    release();
    await pending;
    expect(run.count).toBe(1);
  });
  it("close() during an awaiting gradFn on wasm threads is R109 and the step completes; a step after close() is R101, params unchanged", async () => {
    const run = await compile(opaque, { target: "wasm" }).init(tensors([1, 2, 3]), { threads: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    run.grads.w.set([1, 1, 1]);
    const pending = run.step({ gradFn: async (_p, _i, out) => (await gate, out.w.set([1, 1, 1])) });
    await new Promise((r) => setTimeout(r, 10));
    expect(await asyncCodeOf(() => run.close())).toBe("R109");
    release();
    await pending;
    expect(run.count).toBe(1);
    await run.close();
    const params = Array.from(run.params.w);
    expect(await asyncCodeOf(() => run.step({ gradFn: (_p, _i, out) => out.w.set([1, 1, 1]) }))).toBe("R101");
    expect(Array.from(run.params.w)).toEqual(params);
    expect(run.count).toBe(1);
  });
  it("an AbortSignal aborts a gradFn that never resolves: R208, state bit-identical, and the run is usable again", async () => {
    const run = compile(opaque).initSync(tensors([1, 2, 3]));
    run.grads.w.set([1, 1, 1]);
    const before = fingerprint(run);
    const t0 = Date.now();
    expect(await asyncCodeOf(() => run.step({ gradFn: () => new Promise(() => {}), signal: AbortSignal.timeout(50) }))).toBe("R208");
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(fingerprint(run)).toBe(before);
    await run.step({ gradFn: (_p, _i, out) => out.w.set([1, 1, 1]) });
    expect(run.count).toBe(1);
  });
  it("an already aborted signal refuses the step before anything runs (every kind of step)", async () => {
    const controller = new AbortController();
    controller.abort(new Error("user cancelled"));
    for (const cfg of ["sgd(0.1)", opaque]) {
      const run = compile(cfg).initSync(tensors([1, 2, 3]));
      const before = fingerprint(run);
      expect(await asyncCodeOf(() => run.step({ signal: controller.signal, gradFn: () => {} }))).toBe("R208");
      expect(fingerprint(run)).toBe(before);
    }
  });
  it("a failed loadState changes nothing", async () => {
    const run = compile("adam(0.1)").initSync(tensors([1, 2, 3]));
    run.grads.w.set([1, 1, 1]);
    await run.step();
    const snap = run.saveState();
    await run.step();
    const before = fingerprint(run);
    const bad = { ...snap, arenas: { ...snap.arenas, "adam.nu": Float32Array.from([1, Number.NaN, 1]) } };
    expect(codeOf(() => run.loadState(bad))).toBe("R307");
    expect(fingerprint(run)).toBe(before);
  });
});

describe("snapshots protect themselves", () => {
  const make = async () => {
    const run = compile("sam(adam(0.1), chain(normalize(), sgd(0.05)), sync=3)").initSync(tensors([1, 2, 3]));
    for (let i = 0; i < 4; i++) {
      run.grads.w.set([1, -2, 3].map((x) => x * (i + 1)));
      await run.step();
    }
    return run;
  };
  it("JSON.stringify(run.saveState()) round-trips bit-identically through JSON.parse", async () => {
    const run = await make();
    const text = JSON.stringify(run.saveState());
    const other = compile("sam(adam(0.1), chain(normalize(), sgd(0.05)), sync=3)").initSync(tensors([0, 0, 0]));
    other.loadState(JSON.parse(text));
    expect(fingerprint(other).replace(/"grads":"[^"]*"/, "")).toBe(fingerprint(run).replace(/"grads":"[^"]*"/, ""));
    expect(other.phase).toBe(run.phase);
  });
  it("every single-bit flip of a binary snapshot is refused (CRC-32), never loaded with other values", async () => {
    const run = await make();
    const bin = run.saveStateBinary();
    const codes = new Set<string>();
    for (let bit = 0; bit < bin.length * 8; bit += 7) {
      const flipped = bin.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      codes.add(codeOf(() => run.loadState(flipped)));
    }
    expect([...codes].sort()).toEqual(["R301", "R306"]);
    expect(codeOf(() => run.loadState(bin.subarray(0, bin.length - 1)))).toBe("R306");
    expect(codeOf(() => run.loadState(new Uint8Array([...bin, 0, 0, 0, 0])))).toBe("R306");
  });
  it("hand-edited JSON: each kind of damage has its code", async () => {
    const run = await make();
    const good = JSON.parse(JSON.stringify(run.saveState()));
    const edit = (f: (s: Record<string, any>) => void) => {
      const s = JSON.parse(JSON.stringify(good));
      f(s);
      return s;
    };
    const cases: [string, Record<string, any>, string][] = [
      ["a NaN (JSON null) in an arena", edit((s) => (s.arenas.params[0] = null)), "R307"],
      ["a value past float32", edit((s) => (s.arenas.params[0] = 1e39)), "R307"],
      ["a string in an arena", edit((s) => (s.arenas.params[0] = "1")), "R307"],
      ["a negative counter", edit((s) => (s.counters["sam.steps_since_sync"] = -1)), "R307"],
      ["a fractional counter", edit((s) => (s.counters[Object.keys(s.counters)[1]] = 1.5)), "R307"],
      ["a string counter", edit((s) => (s.counters[Object.keys(s.counters)[1]] = "2")), "R307"],
      ["a phase counter past the cycle", edit((s) => (s.counters["sam.steps_since_sync"] = 7)), "R307"],
      ["outerCount above count", edit((s) => (s.outerCount = s.count + 1)), "R307"],
      ["an unknown arena", edit((s) => (s.arenas.extra = [1, 2, 3])), "R307"],
      ["a missing counter", edit((s) => delete s.counters["sam.steps_since_sync"]), "R305"],
      ["a missing arena", edit((s) => delete s.arenas.params), "R305"],
      ["a short arena", edit((s) => s.arenas.params.pop()), "R305"],
      ["no arenas at all", edit((s) => delete s.arenas), "R305"],
      ["no counters at all", edit((s) => delete s.counters), "R305"],
      ["another version", edit((s) => (s.version = 1)), "R302"],
      ["not a snapshot", { hello: "world" }, "R301"],
      ["null", null as unknown as Record<string, any>, "R301"],
    ];
    const before = fingerprint(run);
    for (const [what, snap, code] of cases) expect([what, codeOf(() => run.loadState(snap as never))]).toEqual([what, code]);
    expect(fingerprint(run)).toBe(before);
  });
  it("decodeState refuses garbage with codes, never a raw TypeError", async () => {
    const run = await make();
    const bin = run.saveStateBinary();
    for (const bytes of [new Uint8Array(0), new Uint8Array(16), bin.subarray(0, 20), Uint8Array.from(bin.map((b, i) => (i >= 16 ? 0 : b)))]) {
      expect(["R301", "R306"]).toContain(codeOf(() => decodeState(bytes)));
    }
    expect(decodeState(encodeState(run.saveState())).count).toBe(4);
  });
});

describe("bounded memory: too large a model is refused before anything is allocated", () => {
  it("2^31 elements is R111 on every target, at once", async () => {
    const t0 = Date.now();
    expect(codeOf(() => compile("sgd(0.1)").initSync({ w: { shape: [2 ** 31] } }))).toBe("R111");
    expect(await asyncCodeOf(() => compile("sgd(0.1)", { target: "gpujs" }).init({ w: { shape: [1e10] } }, { gpu: new GPU({ mode: "cpu" }) }))).toBe("R111");
    expect(codeOf(() => compile("adam(0.1)").initSync({ a: { shape: [2 ** 30] }, b: { shape: [2 ** 30] } }))).toBe("R111");
    expect(codeOf(() => compile("sgd(0.1)", { target: "wasm" }).initSync({ w: { shape: [2 ** 31] } }))).toBe("R111");
    expect(Date.now() - t0).toBeLessThan(2000);
  });
  it("a model past maxBytes (default 8 GiB) is R111; maxBytes raises or lowers the bound", () => {
    expect(codeOf(() => compile("adam(0.1)").initSync({ w: { shape: [4e8] } }))).toBe("R111");
    expect(codeOf(() => compile("sgd(0.1)").initSync({ w: { shape: [1000] } }, { maxBytes: 1000 }))).toBe("R111");
    expect(compile("sgd(0.1)").initSync({ w: { shape: [1000] } }, { maxBytes: 1e6 }).tensors[0].size).toBe(1000);
  });
});

describe("API calls of the wrong shape are codes, never raw TypeErrors", () => {
  it("compile(undefined), compile(42), compile(cfg, null)", () => {
    expect(codeOf(() => compile(undefined as unknown as string))).toBe("E100");
    expect(codeOf(() => compile(42 as unknown as string))).toBe("E100");
    expect(codeOf(() => compile("sgd(0.1)", null as never))).toBe("E401");
  });
  it("step(null), a non-function gradFn, a signal that is not one", async () => {
    const run = compile("sgd(0.1)").initSync(tensors([1, 2, 3]));
    expect(await asyncCodeOf(() => run.step(null as never))).toBe("R112");
    expect(await asyncCodeOf(() => run.step({ gradFn: 3 as never }))).toBe("R112");
    expect(await asyncCodeOf(() => run.step({ signal: {} as never }))).toBe("R112");
    expect(codeOf(() => run.stepSync("x" as never))).toBe("R112");
    expect(await asyncCodeOf(() => run.step({ deviceGradFn: "x" as never }))).toBe("R112");
  });
  it("a deviceGradFn on the CPU, or with gradFn, is R112 before anything runs (state unchanged)", async () => {
    const run = compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), opaque_mode=true)").initSync(tensors([1, 2, 3]));
    run.grads.w.set([1, 1, 1]);
    const before = fingerprint(run);
    expect(await asyncCodeOf(() => run.step({ deviceGradFn: () => {} }))).toBe("R112");
    expect(fingerprint(run)).toBe(before);
  });
  it("gradFn returning { w: null } is R106 with state unchanged; a non-function allReduce is R107", async () => {
    const run = compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), opaque_mode=true)").initSync(tensors([1, 2, 3]));
    run.grads.w.set([1, 1, 1]);
    const before = fingerprint(run);
    expect(await asyncCodeOf(() => run.step({ gradFn: () => ({ w: null as never }) }))).toBe("R106");
    expect(fingerprint(run)).toBe(before);
    expect(codeOf(() => compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), opaque_mode=true, batch_axis_name='b')").initSync(tensors([1]), { allReduce: 5 as never }))).toBe("R107");
  });
  it("an allReduce that returns its result instead of reducing in place is used, not ignored", async () => {
    const cfg = "sam(sgd(0.1), chain(normalize(), sgd(0.05)), opaque_mode=true, batch_axis_name='b')";
    const returning = compile(cfg).initSync(tensors([1, 2, 3]), { allReduce: (g) => ({ w: Array.from(g.w, (x) => x / 2) }) });
    const inPlace = compile(cfg).initSync(tensors([1, 2, 3]), { allReduce: (g) => void g.w.forEach((x, i) => (g.w[i] = x / 2)) });
    for (const r of [returning, inPlace]) {
      r.grads.w.set([1, 2, 3]);
      await r.step({ gradFn: (p, _i, out) => out.w.set(Array.from(p.w, (x) => 2 * x)) });
    }
    expect(Array.from(returning.params.w)).toEqual(Array.from(inPlace.params.w));
  });
});

describe("runtime hyperparameters and step values: bad names and values are codes, the run unchanged", () => {
  const config = "inject_hyperparams(chain(clip_by_global_norm(1.0), adamw(cosine_decay_schedule(0.1, 10), b1=0.9, weight_decay=0.01)))";
  it("an unknown path (R130), a schedule-valued or compiled-in path (R131), a config without inject_hyperparams (R130)", () => {
    const run = compile(config).initSync(tensors([1, 2, 3]));
    const before = JSON.stringify(run.hyperparams);
    expect(codeOf(() => run.setHyperparam("learning_rate", 0.1))).toBe("R130");
    expect(codeOf(() => run.setHyperparam("1.lr", 0.1))).toBe("R130");
    expect(codeOf(() => run.setHyperparam(3 as never, 0.1))).toBe("R130");
    expect(codeOf(() => run.setHyperparam("1.learning_rate", 0.1))).toBe("R131");
    expect(codeOf(() => compile("inject_hyperparams(apply_if_finite(adam(0.01), 3))").initSync(tensors([1])).setHyperparam("max_consecutive_errors", 5))).toBe("R131");
    expect(codeOf(() => compile("adam(0.01)").initSync(tensors([1])).setHyperparam("learning_rate", 0.1))).toBe("R130");
    // static_args: a static value is R131, an object key or the static path's prefix R130.
    const statics = compile('inject_hyperparams(chain(clip(1.0), adam(0.01)), static_args=("1",))').initSync(tensors([1]));
    for (const [path, code] of [["1.b1", "R131"], ["1.learning_rate", "R131"], ["1", "R130"], ["__proto__", "R130"], ["constructor", "R130"]]) expect(codeOf(() => statics.setHyperparam(path, 0.5))).toBe(code);
    expect(statics.hyperparams).toEqual({ "0.max_delta": 1 });
    expect(JSON.stringify(run.hyperparams)).toBe(before);
  });
  it("NaN, ±Infinity, a string, null, or a value outside the checker's range is R132 (b1 must be in [0, 1))", () => {
    const run = compile(config).initSync(tensors([1, 2, 3]));
    const before = JSON.stringify(run.hyperparams);
    for (const v of [Number.NaN, Infinity, -Infinity, "0.1", null, undefined, 1, 1.5, -0.1]) expect(codeOf(() => run.setHyperparam("1.b1", v as never))).toBe("R132");
    expect(codeOf(() => run.setHyperparam("0.max_norm", 0))).toBe("R132");
    expect(codeOf(() => compile("inject_hyperparams(MultiSteps(sgd(0.1), 2))").initSync(tensors([1])).setHyperparam("every_k_schedule", 0.5))).toBe("R132");
    expect(JSON.stringify(run.hyperparams)).toBe(before);
    run.setHyperparam("1.b1", 0);
    expect(run.hyperparams["1.b1"]).toBe(0);
  });
  it("a pair the checker refuses (eps and eps_root both 0, or below float32's normal range) is R132 whatever the order, or R307 in a snapshot", async () => {
    const run = compile("inject_hyperparams(chain(clip(1.0), adam(0.01, eps_root=1e-12)))").initSync(tensors([1, 2, 3]));
    run.grads.w.set([1, 1, 1]);
    run.stepSync();
    const params = Array.from(run.params.w);
    run.setHyperparam("1.eps", 1e-39);
    const before = JSON.stringify(run.hyperparams);
    for (const v of [0, -0, 1e-39, 5e-324]) expect(codeOf(() => run.setHyperparam("1.eps_root", v))).toBe("R132");
    expect(JSON.stringify(run.hyperparams)).toBe(before);
    const snap = run.saveState();
    expect(codeOf(() => run.loadState({ ...snap, hyperparams: { ...snap.hyperparams, "1.eps_root": 0 } }))).toBe("R307");
    expect(JSON.stringify(run.hyperparams)).toBe(before);
    expect(Array.from(run.params.w)).toEqual(params);
    run.reset();
    expect(run.hyperparams["1.eps"]).toBe(1e-8);
  });
  it("a snapshot without its hyperparameters (R305), with a non-finite or an unknown one (R307): nothing changes", () => {
    const run = compile(config).initSync(tensors([1, 2, 3]));
    const s = run.saveState();
    run.setHyperparam("1.b1", 0.5);
    const { hyperparams: _, ...without } = s;
    expect(codeOf(() => run.loadState(without))).toBe("R305");
    expect(codeOf(() => run.loadState({ ...s, hyperparams: { ...s.hyperparams, "1.b1": Number.NaN } }))).toBe("R307");
    expect(codeOf(() => run.loadState({ ...s, hyperparams: { ...s.hyperparams, "1.b1": "0.1" as never } }))).toBe("R307");
    expect(codeOf(() => run.loadState({ ...s, hyperparams: { ...s.hyperparams, extra: 1 } }))).toBe("R307");
    expect(run.hyperparams["1.b1"]).toBe(0.5);
  });
  it("reduce_on_plateau without step({ loss }), or with a NaN, infinite or string loss, is R133 with state bit-identical", async () => {
    for (const backend of ["js", "interp"] as const) {
      const cfg = "chain(sgd(0.1), reduce_on_plateau(patience=1))";
      const run = (backend === "js" ? compile(cfg) : compileReference(cfg)).initSync(tensors([1, 2, 3]));
      run.grads.w.set([1, 1, 1]);
      await run.step({ loss: 1 });
      const before = fingerprint(run);
      expect(await asyncCodeOf(() => run.step())).toBe("R133");
      expect(codeOf(() => run.stepSync())).toBe("R133");
      for (const loss of [Number.NaN, Infinity, -Infinity, "1" as never]) expect(await asyncCodeOf(() => run.step({ loss }))).toBe("R133");
      expect(fingerprint(run)).toBe(before);
      // A loss is not kept for the next step.
      await run.step({ loss: 2 });
      expect(await asyncCodeOf(() => run.step())).toBe("R133");
    }
  });
  it("a reduce_on_plateau snapshot with a non-finite scale is R307", () => {
    const run = compile("chain(sgd(0.1), reduce_on_plateau())").initSync(tensors([1, 2, 3]));
    const s = run.saveState();
    const scale = Object.keys(s.counters).find((c) => c.endsWith(".scale"))!;
    expect(codeOf(() => run.loadState({ ...s, counters: { ...s.counters, [scale]: Infinity } }))).toBe("R307");
    expect(codeOf(() => run.loadState({ ...s, counters: { ...s.counters, [scale]: "1" as never } }))).toBe("R307");
    run.loadState({ ...s, counters: { ...s.counters, [scale]: 0.25 } });
    expect(run.counterValues[scale]).toBe(0.25);
  });
});
