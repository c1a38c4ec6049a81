import { compile } from "../../index.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../io.js";
import { initParams, lossAndGrad, rng, spirals, type Shapes } from "../demo/mlp.js";

export const DEMO_CONFIGS = [
  "sgd(0.1, momentum=0.9)",
  "adam(3e-3)",
  "sam(sgd(0.1, momentum=0.9), chain(normalize(), sgd(0.05)), sync=2)",
  "sam(sgd(0.1, momentum=0.9), chain(normalize(), sgd(0.05)), sync=2, opaque_mode=true)",
];

export const demoHelp = `optc demo [--configs 'cfg1;cfg2'] [--epochs N] [--seed S] [--quiet]

Trains a small MLP (2-32-32-3, tanh) on three noisy spirals with each optimizer config,
all compiled by optc, shows progress, then a table of final loss/accuracy, time and steps/s.
Default configs: ${DEMO_CONFIGS.join("  |  ")}`;

function bar(frac: number, width = 24): string {
  const full = Math.round(frac * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
}

export async function runDemo(p: Parsed): Promise<number> {
  const epochs = p.options.epochs === undefined ? 30 : Number(p.options.epochs);
  const seed = p.options.seed === undefined ? 1 : Number(p.options.seed);
  if (!Number.isInteger(epochs) || epochs < 1) throw new UsageError("--epochs takes a positive integer");
  if (!Number.isInteger(seed)) throw new UsageError("--seed takes an integer");
  const configs = typeof p.options.configs === "string" ? p.options.configs.split(";").map((s) => s.trim()).filter(Boolean) : DEMO_CONFIGS;
  const quiet = p.options.quiet === true || !process.stdout.isTTY;
  const shapes: Shapes = { hidden: 32, classes: 3 };
  const train = spirals(600, 3, 0.25, rng(seed));
  const test = spirals(600, 3, 0.25, rng(seed + 1000));
  const batch = 32;
  const stepsPerEpoch = Math.floor(train.n / batch);
  const rows: string[][] = [];
  console.log(`optc demo: MLP 2-${shapes.hidden}-${shapes.hidden}-3 on noisy spirals (${train.n} train / ${test.n} test), batch ${batch}, ${epochs} epochs, seed ${seed}\n`);
  for (const cfg of configs) {
    const opt = compile(cfg);
    const run = await opt.init(initParams(shapes, rng(seed + 7)));
    const order = rng(seed + 99);
    const idx = new Int32Array(batch);
    const gradFn = (params: Record<string, Float32Array>, _i: number, out: Record<string, Float32Array>) => {
      lossAndGrad(params, shapes, train, idx, out);
    };
    const t0 = performance.now();
    let last = { loss: NaN, acc: NaN };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (let s = 0; s < stepsPerEpoch; s++) {
        for (let b = 0; b < batch; b++) idx[b] = Math.floor(order() * train.n);
        last = lossAndGrad(run.params, shapes, train, idx, run.grads);
        await run.step({ gradFn });
      }
      if (!quiet) {
        const rate = (epoch * stepsPerEpoch) / ((performance.now() - t0) / 1000);
        process.stdout.write(`\r${bar(epoch / epochs)} ${cfg.slice(0, 48).padEnd(48)} epoch ${String(epoch).padStart(3)}/${epochs}  loss ${last.loss.toFixed(3)}  ${rate.toFixed(0)} steps/s `);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    if (!quiet) process.stdout.write("\n");
    const all = Int32Array.from({ length: train.n }, (_, i) => i);
    const tr = lossAndGrad(run.trueParams, shapes, train, all);
    const te = lossAndGrad(run.trueParams, shapes, test, Int32Array.from({ length: test.n }, (_, i) => i));
    rows.push([cfg, tr.loss.toFixed(4), (100 * tr.acc).toFixed(1) + "%", te.loss.toFixed(4), (100 * te.acc).toFixed(1) + "%", seconds.toFixed(2) + " s", (run.count / seconds).toFixed(0)]);
  }
  const head = ["config", "train loss", "train acc", "test loss", "test acc", "time", "steps/s"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(`\n${line(head)}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|\n${rows.map(line).join("\n")}`);
  console.log("\n(backend: js; SAM rows evaluate at the true, unperturbed params; plots and the MNIST run come with the demo issue)");
  return 0;
}
