import { resolve } from "node:path";
import { compile } from "../../index.js";
import type { CompiledStep } from "../../format/artifact.js";
import { stepsPerOuterUpdate } from "../../runtime/protocol.js";
import type { TensorInit } from "../../runtime/tensors.js";
import { nodeGpuDevice } from "../../tools/node_device.js";
import { integer, show, UsageError, type Parsed } from "../args.js";
import { checkWritable, out, writeFileAtomic } from "../io.js";
import { evaluate, initParams, lossAndGrad, rng, scratch } from "../demo/mlp.js";
import { loadMnist } from "../demo/mnist.js";
import type { CurvePoint } from "../demo/plot.js";

export const DEMO_CONFIGS = [
  "sgd(0.05, momentum=0.9)",
  "adam(1e-3)",
  "sam(sgd(0.05, momentum=0.9), chain(normalize(), sgd(0.05)), sync=2)",
  "sam(sgd(0.05, momentum=0.9), chain(normalize(), sgd(0.05)), sync=2, opaque_mode=true)",
];

export const help = `optc demo [--configs 'cfg1; cfg2'] [--backends js,webgpu] [--epochs N] [--seed S]
          [--hidden H] [--batch B] [--out DIR] [--quiet]

Trains an MLP (784-H-10, ReLU) on the MNIST digits of the \`mnist\` package (8,000 train /
2,000 test) with each optimizer config, compiled by optc; shows progress, prints a table of
final train/test loss and accuracy, wall time and steps/s, and writes loss and accuracy
curves as SVG and PNG into DIR (default out/demo). Deterministic for a given seed.
--backends js,webgpu also trains on WebGPU (Node's Dawn; SwiftShader without a GPU).
Default configs:
  ${DEMO_CONFIGS.join("\n  ")}`;

function intOption(v: string | true | undefined, name: string, def: number, min = 1): number {
  return integer(v, name, def, min);
}

function bar(frac: number, width = 20): string {
  const full = Math.round(frac * width);
  return `${"█".repeat(full)}${"░".repeat(width - full)}`;
}

type Tensors = Record<string, Float32Array>;
type GradFn = (params: Tensors, i: number, out: Tensors) => void;

/** The training loop's view of a run, whichever backend holds the params. */
interface Trainer {
  artifact: CompiledStep;
  count: number;
  /** CPU params to differentiate at (live views on js; a read-back copy on webgpu). */
  params(): Promise<Tensors>;
  /** Where the loop writes gradients; step() takes them from there. */
  grads: Tensors;
  step(gradFn: GradFn): Promise<void>;
  trueParams(): Promise<Tensors>;
  destroy(): void;
}

async function trainer(cfg: string, backend: string, params: Record<string, TensorInit>, device?: GPUDevice): Promise<Trainer> {
  if (backend === "webgpu") {
    const opt = compile(cfg, { target: "webgpu" });
    const run = await opt.init(params, { device: device! });
    const grads = Object.fromEntries(run.tensors.map((t) => [t.name, new Float32Array(t.size)]));
    return {
      artifact: opt.artifact,
      get count() {
        return run.count;
      },
      params: () => run.readParams(),
      grads,
      step: async (gradFn) => {
        run.writeGrads(grads);
        await run.step({ gradFn });
      },
      trueParams: () => run.readTrueParams(),
      destroy: () => run.destroy(),
    };
  }
  const opt = compile(cfg, { target: "js" });
  const run = await opt.init(params);
  return {
    artifact: opt.artifact,
    get count() {
      return run.count;
    },
    params: async () => run.params,
    grads: run.grads,
    step: (gradFn) => run.step({ gradFn }),
    trueParams: async () => run.trueParams,
    destroy: () => undefined,
  };
}

export async function run(p: Parsed): Promise<number> {
  const epochs = intOption(p.options.epochs, "epochs", 15);
  const seed = intOption(p.options.seed, "seed", 1, 0);
  const hidden = intOption(p.options.hidden, "hidden", 64);
  const batch = intOption(p.options.batch, "batch", 64);
  const outDir = resolve(typeof p.options.out === "string" ? p.options.out : "out/demo");
  const backends = typeof p.options.backends === "string" ? p.options.backends.split(",").map((b) => b.trim()) : ["js"];
  for (const b of backends) if (b !== "js" && b !== "webgpu") throw new UsageError(`unknown backend '${show(b)}' (backends: js, webgpu)`);
  // A directory that cannot be written is refused now, not after minutes of training.
  checkWritable(resolve(outDir, "results.md"));
  const configs = typeof p.options.configs === "string" ? p.options.configs.split(";").map((s) => s.trim()).filter(Boolean) : DEMO_CONFIGS;
  for (const cfg of configs) compile(cfg); // report a bad config before any training
  const device = backends.includes("webgpu") ? await nodeGpuDevice() : undefined;
  const live = process.stdout.isTTY && p.options.quiet !== true;
  const log = (s: string) => p.options.quiet !== true && out(s);

  const { train, test } = loadMnist();
  log(`optc demo: MLP 784-${hidden}-10 on MNIST (${train.n} train / ${test.n} test), batch ${batch}, ${epochs} epochs, seed ${seed}\n\n`);
  const points: CurvePoint[] = [];
  const rows: string[][] = [];
  const stepsPerEpoch = Math.floor(train.n / batch);
  for (const backend of backends) {
    for (const cfg of configs) {
      const run = await trainer(cfg, backend, initParams(hidden, rng(seed)), device);
      const callsPerBatch = stepsPerOuterUpdate(run.artifact.protocol);
      const order = Int32Array.from({ length: train.n }, (_, i) => i);
      const shuffle = rng(seed + 1);
      const s = scratch(hidden, batch);
      let idx = order.subarray(0, batch);
      const gradFn = (params: Record<string, Float32Array>, _i: number, out: Record<string, Float32Array>) => {
        lossAndGrad(params, hidden, train, idx, s, out);
      };
      const t0 = performance.now();
      for (let epoch = 1; epoch <= epochs; epoch++) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(shuffle() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
        let running = 0;
        for (let b = 0; b < stepsPerEpoch; b++) {
          idx = order.subarray(b * batch, (b + 1) * batch);
          // Every call of a SAM cycle sees the same batch (the paper's protocol).
          for (let c = 0; c < callsPerBatch; c++) {
            const r = lossAndGrad(await run.params(), hidden, train, idx, s, run.grads);
            if (c === 0) running += r.loss;
            await run.step(gradFn);
          }
          if (live && (b % 10 === 0 || b === stepsPerEpoch - 1)) {
            const done = (epoch - 1 + (b + 1) / stepsPerEpoch) / epochs;
            const rate = run.count / ((performance.now() - t0) / 1000);
            out(`\r${bar(done)} ${cfg.slice(0, 44).padEnd(44)} epoch ${epoch}/${epochs}  loss ${(running / (b + 1)).toFixed(3)}  ${rate.toFixed(0)} steps/s `);
          }
        }
        const trueParams = await run.trueParams();
        const tr = evaluate(trueParams, hidden, train);
        const te = evaluate(trueParams, hidden, test);
        const label = backends.length > 1 ? `${cfg} [${backend}]` : cfg;
        points.push({ optimizer: label, epoch, split: "train", loss: tr.loss, accuracy: tr.acc }, { optimizer: label, epoch, split: "test", loss: te.loss, accuracy: te.acc });
        if (!live) log(`${cfg}  epoch ${epoch}/${epochs}  train loss ${tr.loss.toFixed(4)}  test acc ${(100 * te.acc).toFixed(1)}%\n`);
      }
      const seconds = (performance.now() - t0) / 1000;
      if (live) out("\n");
      const last = points.slice(-2);
      run.destroy();
      rows.push([cfg, backend, last[0].loss.toFixed(4), `${(100 * last[0].accuracy).toFixed(2)}%`, last[1].loss.toFixed(4), `${(100 * last[1].accuracy).toFixed(2)}%`, `${seconds.toFixed(1)} s`, (run.count / seconds).toFixed(0)]);
    }
  }
  const head = ["optimizer", "backend", "train loss", "train acc", "test loss", "test acc", "wall time", "steps/s"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const table = `${line(head)}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|\n${rows.map(line).join("\n")}`;
  device?.destroy();
  log(`\n${table}\n\nSAM rows are evaluated at the true (unperturbed) params; a SAM step is one optimizer call\n(transparent SAM makes 2 calls per batch, opaque SAM 1 call with 2 gradient evaluations).\n`);
  writeFileAtomic(resolve(outDir, "results.md"), `${table}\n`);
  writeFileAtomic(resolve(outDir, "curves.json"), JSON.stringify(points, null, 1));
  // Loaded here: the plotting stack is a dev dependency, needed only by the demo.
  const { renderCharts } = await import("../demo/plot.js");
  const files = await renderCharts(points, outDir);
  log(`\nwrote ${files.map((f) => f.slice(outDir.length + 1)).join(", ")}, results.md and curves.json to ${outDir}\n`);
  return 0;
}
