/**
 * The README's first command, shortened (1 epoch, a 784-16-10 MLP): trains a tfjs-layers model
 * with tfjs's Adam and optc's optimizers (through optc/tfjs) on tfjs-wasm, prints the table and
 * writes the plots.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = new URL("../../bin/optc.js", import.meta.url).pathname;
const SAM = "sam(adam(1e-3), chain(normalize(), sgd(0.05)), sync=2)";
const SAM_OPAQUE = "sam(adam(1e-3), chain(normalize(), sgd(0.05)), sync=2, opaque_mode=true)";
const CONFIGS = [
  "tf.train.adam(1e-3)",
  "adam(1e-3, eps=1e-7)",
  "adamw(1e-3, weight_decay=1e-4)",
  SAM,
  SAM_OPAQUE,
  "chain(clip_by_global_norm(1.0), adamw(learning_rate=warmup_cosine_decay_schedule(0, 1e-3, 20, 124)))",
];

interface Point {
  optimizer: string;
  epoch: number;
  split: "train" | "test";
  loss: number;
  accuracy: number;
}

const demo = (...args: string[]) => spawnSync(process.execPath, [BIN, "demo", ...args], { encoding: "utf8" });
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("optc demo", () => {
  it("trains a tfjs-layers MLP with tf.train.adam and optc's optimizers: every loss falls, the table has every row, the plots are written", () => {
    const out = mkdtempSync(join(tmpdir(), "optc-demo-"));
    const r = demo("--epochs", "1", "--hidden", "16", "--configs", CONFIGS.join("; "), "--out", out);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    for (const cfg of CONFIGS) expect(r.stdout).toMatch(new RegExp(`\\| ${escape(cfg)}\\s+\\| wasm\\s+\\| [0-9.]+\\s+\\| [0-9.]+%\\s+\\| [0-9.]+\\s+\\| [0-9.]+%\\s+\\| [0-9.]+ s\\s+\\| [0-9]+\\s+\\|`));
    expect(r.stdout).toContain(`to ${out}`);
    expect(r.stdout).toMatch(/optc adamw\(0\.001, weight_decay=0\.0001\): the (wasm|JS) target .* tfjs-wasm/);
    expect(readFileSync(join(out, "results.md"), "utf8").split("\n").filter((l) => l.startsWith("| ")).length).toBe(1 + CONFIGS.length);
    expect(readFileSync(join(out, "loss.svg"), "utf8")).toContain("<svg");
    expect(readFileSync(join(out, "accuracy.svg"), "utf8")).toContain("<svg");
    expect(readFileSync(join(out, "loss.png")).subarray(1, 4).toString()).toBe("PNG");
    expect(readFileSync(join(out, "accuracy.png")).subarray(1, 4).toString()).toBe("PNG");
    expect(readFileSync(join(out, "steps.svg"), "utf8")).toContain("<svg");
    expect(readFileSync(join(out, "steps.png")).subarray(1, 4).toString()).toBe("PNG");
    // The training loss of every batch (124 of 64 digits), as model.fit logged it: it falls for every optimizer.
    const steps = JSON.parse(readFileSync(join(out, "steps.json"), "utf8")) as { optimizer: string; step: number; loss: number }[];
    for (const cfg of CONFIGS) {
      const mine = steps.filter((p) => p.optimizer === cfg);
      expect(mine.map((p) => p.step), cfg).toEqual(Array.from({ length: 124 }, (_, i) => i + 1));
      expect(mine[123].loss, cfg).toBeLessThan(mine[0].loss / 2);
    }

    const curves = JSON.parse(readFileSync(join(out, "curves.json"), "utf8")) as Point[];
    expect(curves.length).toBe(CONFIGS.length * 2 * 2); // epochs 0 and 1, train and test
    const at = (cfg: string, epoch: number, split: "train" | "test") => curves.find((p) => p.optimizer === cfg && p.epoch === epoch && p.split === split)!;
    for (const cfg of CONFIGS) {
      // Every run starts from the same weights (chance level) and learns: one epoch is far from it.
      expect(at(cfg, 0, "train").loss, cfg).toBeCloseTo(at(CONFIGS[0], 0, "train").loss, 6);
      expect(at(cfg, 0, "test").accuracy, cfg).toBeLessThan(0.2);
      expect(at(cfg, 1, "train").loss, cfg).toBeLessThan(at(cfg, 0, "train").loss - 0.8);
      expect(at(cfg, 1, "test").loss, cfg).toBeLessThan(at(cfg, 0, "test").loss - 0.8);
      expect(at(cfg, 1, "test").accuracy, cfg).toBeGreaterThan(0.7);
    }
    // optc's adam with tfjs's epsilon follows tf.train.adam; transparent and opaque SAM are the same optimizer.
    for (const split of ["train", "test"] as const) {
      expect(at("adam(1e-3, eps=1e-7)", 1, split).loss).toBeCloseTo(at("tf.train.adam(1e-3)", 1, split).loss, 3);
      expect(at(SAM_OPAQUE, 1, split).loss).toBeCloseTo(at(SAM, 1, split).loss, 4);
    }

    // Deterministic, and each run independent of the others: alone, adamw gives the same curve.
    const again = demo("--epochs", "1", "--hidden", "16", "--configs", CONFIGS[2], "--out", out, "--quiet");
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe("");
    expect(JSON.parse(readFileSync(join(out, "curves.json"), "utf8"))).toEqual(curves.filter((p) => p.optimizer === CONFIGS[2]));
  }, 180_000);

  it("a bad config is a diagnostic before any training", () => {
    const r = demo("--configs", "adam(lr=1)");
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain("E202");
    const t = demo("--configs", "tf.train.adamm(1e-3)");
    expect(t.status).toBe(2);
    expect(t.stderr).toContain("is not a tfjs optimizer the demo knows");
    const b = demo("--backends", "webgpu");
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("unknown backend 'webgpu' (tfjs backends: wasm, cpu)");
  });
});
