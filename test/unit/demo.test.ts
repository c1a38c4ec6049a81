/** The README's first command, shortened: trains, prints the table and writes the plots. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = new URL("../../bin/optc.js", import.meta.url).pathname;

describe("optc demo", () => {
  it("trains on MNIST, prints the table, writes SVG and PNG curves; deterministic for a seed", () => {
    const out = mkdtempSync(join(tmpdir(), "optc-demo-"));
    const args = [BIN, "demo", "--epochs", "1", "--hidden", "16", "--configs", "sgd(0.05, momentum=0.9); sam(sgd(0.05), chain(normalize(), sgd(0.05)), sync=2)", "--out", out];
    const r = spawnSync(process.execPath, args, { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| sgd\(0\.05, momentum=0\.9\)\s+\| js\s+\| [0-9.]+\s+\| [0-9.]+%/);
    expect(r.stdout).toContain(`to ${out}`);
    expect(readFileSync(join(out, "loss.svg"), "utf8")).toContain("<svg");
    expect(readFileSync(join(out, "accuracy.png")).subarray(1, 4).toString()).toBe("PNG");
    const curves = JSON.parse(readFileSync(join(out, "curves.json"), "utf8"));
    expect(curves.length).toBe(4);
    // The test accuracy of one epoch of SGD on this MLP is far above chance (10%).
    expect(curves[1].accuracy).toBeGreaterThan(0.6);
    const again = spawnSync(process.execPath, args, { encoding: "utf8" });
    expect(JSON.parse(readFileSync(join(out, "curves.json"), "utf8"))).toEqual(curves);
    expect(again.status).toBe(0);
  });
  it("a bad config is a diagnostic before any training", () => {
    const r = spawnSync(process.execPath, [BIN, "demo", "--configs", "adam(lr=1)"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain("E202");
  });
});
