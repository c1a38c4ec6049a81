// Compile latency, config string → ready optimizer: cold (a fresh process, module loading
// included) and warm (the same process afterwards). Uses the built package (dist/).
const t0 = performance.now();
const { compile } = await import("../dist/index.js");
const params = { w: { shape: [1000] } };
const cfg = process.argv[2] ?? "chain(clip_by_global_norm(1.0), adamw(1e-3))";
const t1 = performance.now();
compile(cfg).initSync(params);
const t2 = performance.now();
const warm = [];
for (let i = 0; i < 30; i++) {
  const a = performance.now();
  compile(cfg).initSync(params);
  warm.push(performance.now() - a);
}
warm.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ importMs: t1 - t0, coldMs: t2 - t0, firstCompileMs: t2 - t1, warmMs: warm[15] }));
