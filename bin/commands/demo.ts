import { createRequire } from "node:module";
import { resolve } from "node:path";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { missingPeer, OptcError } from "../../compiler/diagnostics.js";
import { compile } from "../../index.js";
import { stepsPerOuterUpdate } from "../../runtime/protocol.js";
import { integer, show, UsageError, type Parsed } from "../args.js";
import { checkWritable, out, writeFileAtomic } from "../io.js";
import { loadMnist } from "../demo/mnist.js";
import type { CurvePoint, StepPoint } from "../demo/plot.js";
import type { Backend } from "../demo/train.js";

/** tfjs's own Adam first (the baseline), then optc's optimizers through optc/tfjs. */
export const DEMO_CONFIGS = [
  "tf.train.adam(1e-3)",
  "adamw(1e-3, weight_decay=1e-4)",
  "sam(adam(1e-3), chain(normalize(), sgd(0.05)), sync=2)",
  "sam(adam(1e-3), chain(normalize(), sgd(0.05)), sync=2, opaque_mode=true)",
  "chain(clip_by_global_norm(1.0), adamw(learning_rate=warmup_cosine_decay_schedule(0, 1e-3, 60, 375)))",
];

const TFJS_BACKENDS = ["wasm", "cpu"];
const SMOOTH = 20;

export const help = `optc demo [--configs 'cfg1; cfg2'] [--backends wasm,cpu] [--epochs N] [--seed S]
          [--hidden H] [--batch B] [--out DIR] [--quiet]

Trains a TensorFlow.js model (tfjs-layers: a 784-H-10 MLP, ReLU, softmax; model.fit) on the
MNIST digits of the \`mnist\` package (8,000 train / 2,000 test) with each optimizer: tfjs's own
(a config written tf.train.NAME(numbers), e.g. tf.train.adam(1e-3)) or an optc config, run by
optc/tfjs's tfjsOptimizer(config). Shows progress, prints a table of final train/test loss and
accuracy, wall time and steps/s, and writes loss and accuracy curves as SVG and PNG into DIR
(default out/demo). Every run starts from the same weights and sees the same batches; the whole
demo is deterministic for a given seed. --backends picks tfjs's backends (default wasm).
Default configs (3 epochs):
  ${DEMO_CONFIGS.join("\n  ")}`;

function bar(frac: number, width = 20): string {
  const full = Math.max(0, Math.min(width, Math.round(frac * width)));
  return `${"█".repeat(full)}${"░".repeat(width - full)}`;
}

/** A tfjs optimizer written tf.train.NAME(a, b, ...) with numeric arguments: the baselines. */
const TF_TRAIN = /^tf\.train\.([a-z]+)\(\s*([^()]*)\)$/i;
const TF_TRAIN_NAMES = ["sgd", "momentum", "adam", "adamax", "adagrad", "adadelta", "rmsprop"];

function tfTrain(cfg: string): { name: string; args: number[] } | undefined {
  if (!cfg.startsWith("tf.train.")) return undefined;
  const m = TF_TRAIN.exec(cfg);
  const name = m?.[1] ?? "";
  const args = m && m[2].trim() !== "" ? m[2].split(",").map((a) => Number(a.trim())) : [];
  const needed = name === "sgd" ? 1 : name === "momentum" ? 2 : 0;
  if (!m || !TF_TRAIN_NAMES.includes(name) || args.some((a) => !Number.isFinite(a)) || args.length < needed) {
    throw new UsageError(`'${show(cfg)}' is not a tfjs optimizer the demo knows: write tf.train.NAME(numbers), NAME one of ${TF_TRAIN_NAMES.join(", ")} (sgd needs a learning rate, momentum a rate and a momentum)`);
  }
  return { name, args };
}

interface Entry {
  cfg: string;
  callsPerBatch: number;
  make(tf: typeof tfTypes): Promise<tfTypes.Optimizer>;
}

/** Checks every config before any training: a bad optc config is its diagnostic (E...), a bad tf.train one a usage error. */
function entries(configs: string[]): Entry[] {
  return configs.map((cfg) => {
    const t = tfTrain(cfg);
    if (t) {
      return {
        cfg,
        callsPerBatch: 1,
        make: async (tf) => (tf.train[t.name as "adam"] as (...a: number[]) => tfTypes.Optimizer)(...t.args),
      };
    }
    const compiled = compile(cfg);
    return {
      cfg,
      callsPerBatch: stepsPerOuterUpdate(compiled.artifact.protocol),
      make: async () => (await import("../../tfjs.js")).tfjsOptimizer(cfg) as unknown as tfTypes.Optimizer,
    };
  });
}

/** The demo's tfjs backends are dev dependencies: one that is missing is P101, like the demo's other packages. */
function requireBackendPackage(backend: string): void {
  const pkg = `@tensorflow/tfjs-backend-${backend}`;
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  } catch {
    throw new OptcError([missingPeer(pkg, `optc demo --backends ${backend}`, `npm i -D ${pkg}, or run it from a clone of optc's repository (npm start)`)], "");
  }
}

export async function run(p: Parsed): Promise<number> {
  const epochs = integer(p.options.epochs, "epochs", 3, 1);
  const seed = integer(p.options.seed, "seed", 1, 0);
  const hidden = integer(p.options.hidden, "hidden", 128, 1);
  const batch = integer(p.options.batch, "batch", 64, 1);
  const outDir = resolve(typeof p.options.out === "string" ? p.options.out : "out/demo");
  const backends = typeof p.options.backends === "string" ? p.options.backends.split(",").map((b) => b.trim()) : ["wasm"];
  for (const b of backends) if (!TFJS_BACKENDS.includes(b)) throw new UsageError(`unknown backend '${show(b)}' (tfjs backends: ${TFJS_BACKENDS.join(", ")})`);
  // A directory that cannot be written is refused now, not after minutes of training.
  checkWritable(resolve(outDir, "results.md"));
  const configs = typeof p.options.configs === "string" ? p.options.configs.split(";").map((s) => s.trim()).filter(Boolean) : DEMO_CONFIGS;
  if (configs.length === 0) throw new UsageError("--configs names no optimizer");
  const runs = entries(configs); // report a bad config before any training
  for (const b of backends) requireBackendPackage(b);
  const live = process.stdout.isTTY && p.options.quiet !== true;
  const log = (s: string) => p.options.quiet !== true && out(s);

  const tf = await import("@tensorflow/tfjs-core");
  const { trainRun, useBackend, warmUp } = await import("../demo/train.js");
  const { train, test } = loadMnist();
  if (batch > train.n) throw new UsageError(`--batch ${batch} is more than the ${train.n} training digits`);
  log(`optc demo: tfjs-layers MLP 784-${hidden}-10 on MNIST (${train.n} train / ${test.n} test), model.fit, batch ${batch}, ${epochs} epoch${epochs === 1 ? "" : "s"}, seed ${seed}\n\n`);
  const points: CurvePoint[] = [];
  const steps: StepPoint[] = [];
  const rows: string[][] = [];
  const described: string[] = [];
  for (const backend of backends as Backend[]) {
    await useBackend(backend);
    await warmUp(hidden, batch);
    for (const r of runs) {
      const label = backends.length > 1 ? `${r.cfg} [${backend}]` : r.cfg;
      const optimizer = await r.make(tf);
      const name = r.cfg.length > 44 ? `${r.cfg.slice(0, 43)}…` : r.cfg.padEnd(44);
      let shown = 0;
      const result = await trainRun({
        optimizer,
        callsPerBatch: r.callsPerBatch,
        train,
        test,
        hidden,
        batch,
        epochs,
        seed,
        onBatch: (epoch, done, loss, calls, seconds) => {
          const now = performance.now();
          if (!live || (now - shown < 100 && done < 1)) return;
          shown = now;
          out(`\r${bar(done)} ${name} [${backend}] epoch ${epoch}/${epochs}  loss ${loss.toFixed(3)}  ${(calls / seconds).toFixed(0)} steps/s `);
        },
        onEpoch: (e) => {
          points.push({ optimizer: label, epoch: e.epoch, split: "train", loss: e.train.loss, accuracy: e.train.accuracy }, { optimizer: label, epoch: e.epoch, split: "test", loss: e.test.loss, accuracy: e.test.accuracy });
          if (!live && e.epoch > 0) log(`${r.cfg} [${backend}]  epoch ${e.epoch}/${epochs}  train loss ${e.train.loss.toFixed(4)}  test acc ${(100 * e.test.accuracy).toFixed(1)}%\n`);
        },
      });
      if (live) out("\n");
      const describe = (optimizer as unknown as { describe?: () => string }).describe;
      if (typeof describe === "function") described.push(`[${backend}] ${describe.call(optimizer)}`);
      optimizer.dispose();
      // The per-batch loss is noisy: a trailing moving mean over 20 batches.
      let sum = 0;
      result.batchLoss.forEach((l, i) => {
        sum += l - (i >= SMOOTH ? result.batchLoss[i - SMOOTH] : 0);
        steps.push({ optimizer: label, step: i + 1, loss: sum / Math.min(i + 1, SMOOTH) });
      });
      const last = result.epochs[result.epochs.length - 1];
      rows.push([r.cfg, backend, last.train.loss.toFixed(4), `${(100 * last.train.accuracy).toFixed(2)}%`, last.test.loss.toFixed(4), `${(100 * last.test.accuracy).toFixed(2)}%`, `${result.seconds.toFixed(1)} s`, (result.calls / result.seconds).toFixed(0)]);
    }
  }
  const head = ["optimizer", "backend", "train loss", "train acc", "test loss", "test acc", "wall time", "steps/s"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const table = `${line(head)}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|\n${rows.map(line).join("\n")}`;
  log(
    `\n${table}\n\nWall time is the time in model.fit (the evaluations after each epoch are left out); a step is one\n` +
      `optimizer call (transparent SAM makes 2 per batch, opaque SAM 1 with 2 gradient evaluations).\n` +
      `SAM rows are evaluated at the true (unperturbed) params.\n`,
  );
  if (described.length > 0) log(`\nWhat optc ran (optimizer.describe()):\n${described.map((d) => `  ${d}`).join("\n")}\n`);
  writeFileAtomic(resolve(outDir, "results.md"), `${table}\n`);
  writeFileAtomic(resolve(outDir, "curves.json"), JSON.stringify(points, null, 1));
  writeFileAtomic(resolve(outDir, "steps.json"), JSON.stringify(steps));
  // Loaded here: the plotting stack is a dev dependency, needed only by the demo.
  const { renderCharts } = await import("../demo/plot.js");
  const files = await renderCharts(points, outDir, `MNIST, tfjs-layers MLP 784-${hidden}-10`, steps);
  log(`\nwrote ${files.map((f) => f.slice(outDir.length + 1)).join(", ")}, results.md, curves.json and steps.json to ${outDir}\n`);
  return 0;
}
