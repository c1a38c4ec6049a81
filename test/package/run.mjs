#!/usr/bin/env node
// The package test (`npm run test:package`; .ci/run runs it after `npm test`): optc as a user
// installs it. It packs the repository, installs the tarball into fresh projects and checks:
// - what the tarball holds (dist, bin, README, LICENSE; no sources, tests or CI files);
// - a JS consumer (compile + step; numbers from the spec and from float32 arithmetic);
// - the installed CLI (compiled, no tsx): a misspelt keyword shows the caret and the hint;
//   missing optional peers are P101 diagnostics, never stack traces;
// - strict TypeScript consumers (skipLibCheck off), without and with @webgpu/types;
// - browser bundles: optc/runtime has no chevrotain, ts-morph or `new Function`; the
//   runtime-string path (compile()) bundles for the browser and runs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { installInto, pack, ROOT, sh } from "../../scripts/pack_install.mjs";

const require = createRequire(join(ROOT, "package.json"));
const TSC = require.resolve("typescript/bin/tsc");
const { build } = await import(require.resolve("esbuild"));
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

let failed = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`  ok    ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`  FAIL  ${name}\n${String(e?.stack ?? e).replace(/^/gm, "        ")}`);
  }
}

function run(dir, file, args = [], env = {}) {
  const r = spawnSync(process.execPath, [file, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const optc = (dir, ...args) => run(dir, join(dir, "node_modules/optc/bin/optc.js"), args);
const noStack = (text) => assert.doesNotMatch(text, /\n\s+at .*:\d+:\d+/, `a stack trace:\n${text}`);

console.log("optc package test");
const packed = pack();
console.log(`  packed ${packed.tarball}: ${packed.files.length} files, ${(packed.size / 1024).toFixed(1)} KB (${(packed.unpackedSize / 1024).toFixed(1)} KB unpacked)`);

await check("the tarball holds dist, bin/optc.js, README, LICENSE and NOTICE, and no sources, tests or CI files", () => {
  for (const f of ["dist/index.js", "dist/index.d.ts", "dist/runtime/index.js", "dist/build.js", "dist/vite.js", "dist/golden.js", "dist/bin/cli.js", "bin/optc.js", "README.md", "LICENSE", "NOTICE", "package.json"]) assert.ok(packed.files.includes(f), `missing ${f}`);
  const stray = packed.files.filter((f) => /^(test|bench|scripts|examples|\.ci|compiler|runtime|dsl|targets|tools)\//.test(f) || (/\.ts$/.test(f) && !f.endsWith(".d.ts")) || f.endsWith(".golden.json"));
  assert.deepEqual(stray, []);
});

// A runtime user: nothing but the tarball (no ts-morph, TypeScript, gpu.js or webgpu).
const app = installInto(packed.tarball, { name: "runtime-user" });

await check("a runtime-only install brings no dependencies (no ts-morph, TypeScript, chevrotain package or tsx)", () => {
  for (const pkg of ["ts-morph", "typescript", "chevrotain", "tsx", "lodash-es"]) assert.ok(!existsSync(join(app, "node_modules", pkg)), `${pkg} was installed`);
  console.log(`        du -sh node_modules: ${sh("du", ["-sh", "node_modules"], { cwd: app }).split("\t")[0]}`);
});

await check("a JS consumer compiles and steps (sgd against float32 arithmetic, the paper's SAM against spec §9.8(a))", () => {
  writeFileSync(
    join(app, "consumer.mjs"),
    `import assert from "node:assert/strict";
import { compile } from "optc";
import { encodeState } from "optc/runtime";
const p0 = [0.5, -1.25, 3], g = [0.1, 0.2, -0.3];
const run = compile("sgd(0.1)").initSync({ w: { shape: [3], data: new Float32Array(p0) } });
run.grads.w.set(g);
run.stepSync();
// sgd: p + (-lr) g in float64, one rounding to float32 at the store.
assert.deepEqual(Array.from(run.params.w), p0.map((p, i) => Math.fround(Math.fround(p) + -0.1 * Math.fround(g[i]))));
assert.ok(encodeState(run.saveState()) instanceof Uint8Array);
// Spec §9.8(a): the paper's SAM on L(w) = Σ(w - w*)², w0 = [-1, 10, 1], w* = [1, -1, 1].
const rows = [[-1.0089443, 10.049193, 1], [-0.59821117, 7.790161, 1], [-0.60715544, 7.8393545, 1], [-0.27678007, 6.02229, 1], [-0.28572434, 6.0714836, 1], [-0.01963517, 4.6079936, 1]];
const sam = await compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=2)").init({ w: [-1, 10, 1] });
for (const row of rows) {
  sam.params.w.forEach((x, i) => (sam.grads.w[i] = 2 * (x - [1, -1, 1][i])));
  await sam.step();
  row.forEach((want, i) => assert.ok(Math.abs(sam.params.w[i] - want) <= 3e-8 + 2.4e-7 * Math.abs(want), \`\${sam.params.w[i]} vs \${want}\`));
}
console.log("consumer ok");
`,
  );
  const r = run(app, "consumer.mjs");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /consumer ok/);
});

await check("optc/build and optc/golden from the installed package: build without ts-morph is a P101 diagnostic; golden records and checks", () => {
  writeFileSync(
    join(app, "build.mjs"),
    `import assert from "node:assert/strict";
import { compileToModule, renderDiagnostics } from "optc/build";
import { checkGolden, recordGolden } from "optc/golden";
const r = compileToModule("adam(1e-3)");
assert.equal(r.code, undefined);
assert.equal(r.diagnostics[0].code, "P101");
const text = renderDiagnostics(r.diagnostics, "adam(1e-3)");
assert.match(text, /error\\[P101\\]: .*'ts-morph'/);
assert.match(text, /hint: npm i -D ts-morph/);
const golden = await recordGolden("adam(0.003)", { problem: "sphere", x0: [1, 2, 3], steps: 5 });
assert.equal((await checkGolden(golden, { backends: ["js", "interp"] })).ok, true);
console.log("build ok");
`,
  );
  const r = run(app, "build.mjs");
  assert.equal(r.code, 0, r.err);
});

await check("the installed CLI: check shows the caret and the hint for a misspelt keyword (exit 1), --version, check of the paper's SAM", () => {
  const bad = optc(app, "check", "adam(learning_rte=1e-3)");
  assert.equal(bad.code, 1);
  assert.ok(bad.err.includes("error[E202]"), bad.err);
  assert.ok(bad.err.includes("1 | adam(learning_rte=1e-3)\n  |      ^^^^^^^^^^^^"), bad.err);
  assert.ok(bad.err.includes("= hint: did you mean 'learning_rate'?"), bad.err);
  noStack(bad.err);
  assert.equal(optc(app, "--version").out.trim(), version);
  const ok = optc(app, "check", "sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)");
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /sync_period=2/);
});

await check("the installed CLI without optional peers: compile (ts-morph), --backend webgpu (webgpu) and demo are P101 with the package to install", () => {
  for (const [args, pkg] of [
    [["compile", "adam(1e-3)"], "ts-morph"],
    [["trace", "adam(1e-3)", "--backend", "webgpu", "--steps", "1"], "webgpu"],
    [["demo", "--epochs", "1"], "mnist"],
  ]) {
    const r = optc(app, ...args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, new RegExp(`error\\[P101\\]: .*'${pkg}'`));
    assert.match(r.err, /= hint: npm i/);
    noStack(r.err);
  }
});

await check("the installed CLI's golden: record, check, and a corrupt file is G101", () => {
  assert.equal(optc(app, "golden", "record", "adam(0.003)", "--problem", "sphere", "--steps", "4", "--out", "adam.golden.json").code, 0);
  assert.equal(optc(app, "golden", "check", "adam.golden.json").code, 0);
  writeFileSync(join(app, "bad.golden.json"), "{}");
  const r = optc(app, "golden", "check", "bad.golden.json");
  assert.equal(r.code, 1);
  assert.match(r.err, /error\[G101\]/);
  noStack(r.err);
});

const tsconfig = (extra) => JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: false, noEmit: true, ...extra }, include: ["*.ts"] }, null, 2);
const tsc = (dir) => {
  const r = spawnSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
};

await check("a strict TypeScript consumer without @webgpu/types, @types/node or the DOM lib type-checks optc and optc/runtime", () => {
  writeFileSync(join(app, "tsconfig.json"), tsconfig({ lib: ["ES2022"], types: [] }));
  writeFileSync(
    join(app, "consumer.ts"),
    `import { compile, OptcError, OptcRuntimeError, type Diagnostic } from "optc";
import { load, prebuiltKernels, type CompiledStep, type Run, type StateSnapshot } from "optc/runtime";
const opt = compile("adamw(1e-3)");
const run: Run = opt.initSync({ w: { shape: [2], data: new Float32Array(2) } });
const snap: StateSnapshot = run.saveState();
run.loadState(snap);
const artifact: CompiledStep = opt.artifact;
void load(artifact, prebuiltKernels({}));
declare const device: GPUDevice;
void compile("adam(1e-3)", { target: "webgpu" }).init({ w: { shape: [2] } }, { device });
void compile("adam(1e-3)", { target: "gpujs" }).init({ w: { shape: [2] } });
try { compile("adam(lr=1)"); } catch (e) { if (e instanceof OptcError) { const d: Diagnostic[] = e.diagnostics; void d; } if (e instanceof OptcRuntimeError) void e.code; }
`,
  );
  tsc(app);
});

// A build-time user: the optional peers and the consumer's own types, linked from this repository.
const dev = installInto(packed.tarball, { name: "build-user", link: ["ts-morph", "@ts-morph/common", "@webgpu/types", "@types/node", "undici-types", "vite", "@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-cpu"] });

await check("a strict TypeScript consumer with @webgpu/types, @types/node and vite type-checks every entry; GPU types are the real ones", () => {
  writeFileSync(join(dev, "tsconfig.json"), tsconfig({ lib: ["ES2022", "DOM"], types: ["node", "@webgpu/types"] }));
  writeFileSync(
    join(dev, "consumer.ts"),
    `import { compile } from "optc";
import { compileToModule, type ModuleResult } from "optc/build";
import { checkGolden, expectGolden, type GoldenReport } from "optc/golden";
import { GpuRun } from "optc/runtime";
import { optc } from "optc/vite";
import type { Plugin } from "vite";
const adapter = await navigator.gpu.requestAdapter();
const device: GPUDevice = await adapter!.requestDevice();
const run: GpuRun = await compile("adam(1e-3)", { target: "webgpu" }).init({ w: { shape: [4] } }, { device });
const grads: GPUBuffer = run.buffers.grads;
device.queue.writeBuffer(grads, 0, new Float32Array(4));
const plugin: Plugin = optc({ target: "js" });
const module: ModuleResult = compileToModule("adam(1e-3)", { target: "webgpu" });
const report: GoldenReport = await expectGolden("adam.golden.json", "adam(1e-3)", { backends: ["js"] });
void checkGolden; void plugin; void module; void report;
`,
  );
  tsc(dev);
});

await check("optc/tfjs from the installed package (tfjs-core linked): tfjsOptimizer steps a variable; optc alone never loads tfjs", () => {
  writeFileSync(
    join(dev, "tfjs-user.mjs"),
    `import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { tfjsOptimizer, OptcOptimizer } from "optc/tfjs";
await tf.setBackend("cpu");
const w = tf.variable(tf.tensor1d([1, 2]), true, "w");
const opt = tfjsOptimizer("sgd(0.5)");
opt.applyGradients({ w: tf.tensor1d([1, 1]) });
let code = "none";
try { tfjsOptimizer("adam(lr=1)"); } catch (e) { code = e.diagnostics?.[0]?.code; }
console.log(JSON.stringify({ w: Array.from(w.dataSync()), optc: opt instanceof OptcOptimizer && opt instanceof tf.Optimizer, code }));
`,
  );
  const r = run(dev, join(dev, "tfjs-user.mjs"));
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out.trim().split("\n").at(-1)), { w: [0.5, 1.5], optc: true, code: "E202" });
  writeFileSync(join(app, "no-tfjs.mjs"), `await import("optc"); await import("optc/runtime"); console.log("ok");`);
  const plain = run(app, join(app, "no-tfjs.mjs"));
  assert.equal(plain.code, 0, plain.err);
});

await check("with ts-morph installed, the installed CLI's compile writes a module", () => {
  const r = optc(dev, "compile", "adam(1e-3)", "--out", "opt.ts");
  assert.equal(r.code, 0, r.err);
  assert.equal(optc(dev, "compile", "adam(1e-3)", "--out", "opt.ts", "--check").code, 0);
});

const bundle = async (dir, contents) => {
  const r = await build({ stdin: { contents, resolveDir: dir, loader: "js" }, bundle: true, platform: "browser", format: "esm", target: "es2022", minify: true, write: false, logLevel: "silent" });
  const text = r.outputFiles[0].text;
  return { text, bytes: Buffer.byteLength(text), gzip: gzipSync(text, { level: 9 }).length };
};
const kb = (b) => `${(b / 1024).toFixed(1)} KB`;

await check("a browser bundle of optc/runtime holds no chevrotain, ts-morph or new Function", async () => {
  const b = await bundle(app, `export { load, prebuiltKernels, GpuRun, GpuJsRun } from "optc/runtime";`);
  for (const bad of [/chevrotain/i, /CstParser/, /ts-morph/, /new Function/, /lodash/]) assert.doesNotMatch(b.text, bad);
  console.log(`        optc/runtime: ${kb(b.bytes)} minified, ${kb(b.gzip)} gzip`);
});

await check("the runtime-string path (compile() in a browser) bundles without Node built-ins and runs the paper's SAM", async () => {
  const b = await bundle(
    app,
    `import { compile } from "optc";
const run = compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=2)").initSync({ w: [-1, 10, 1] });
for (let i = 0; i < 6; i++) { run.params.w.forEach((x, j) => (run.grads.w[j] = 2 * (x - [1, -1, 1][j]))); run.stepSync(); }
globalThis.optcResult = Array.from(run.params.w);`,
  );
  assert.doesNotMatch(b.text, /from"node:|require\("node:/);
  const file = join(app, "browser-bundle.mjs");
  writeFileSync(file, `${b.text}\nconsole.log(JSON.stringify(globalThis.optcResult));`);
  const r = run(app, file);
  assert.equal(r.code, 0, r.err);
  // Spec §9.8(a), row 6.
  JSON.parse(r.out).forEach((x, i) => assert.ok(Math.abs(x - [-0.01963517, 4.6079936, 1][i]) <= 3e-8 + 2.4e-7 * Math.abs(x)));
  console.log(`        compile() path: ${kb(b.bytes)} minified, ${kb(b.gzip)} gzip`);
});

console.log(failed ? `${failed} package check(s) failed` : "all package checks passed");
process.exit(failed ? 1 : 0);
