/** One input per diagnostic code, with its expected rendering (test/errors/<CODE>.opt → .txt). */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDiagnostics } from "../../compiler/diagnostics.js";
import { compileSource } from "../../compiler/pipeline.js";
import { expectGolden } from "../helpers/golden.js";

const dir = new URL(".", import.meta.url).pathname;
const inputs = readdirSync(dir).filter((f) => f.endsWith(".opt")).sort();

describe("error corpus", () => {
  it("has one input per code", () => {
    expect(inputs.map((f) => f.replace(".opt", ""))).toEqual(
      ["E101", "E102", "E103", "E104", "E105", "E106", "E107", "E108", "E109", "E110", "E201", "E202", "E203", "E204", "E205", "E206", "E207", "E208", "E209", "E301", "E302", "E303", "E304", "E305", "E306", "E307", "E308", "W401", "W402", "W403", "W404"],
    );
  });
  for (const f of inputs) {
    it(f, () => {
      const source = readFileSync(join(dir, f), "utf8");
      const c = compileSource(source);
      const code = f.replace(".opt", "");
      expect(c.diagnostics.map((d) => d.code)).toContain(code);
      // Errors stop compilation; warnings do not.
      expect(c.artifact === undefined).toBe(code.startsWith("E"));
      expectGolden(join(dir, f.replace(".opt", ".txt")), renderDiagnostics(c.diagnostics, source, f) + "\n");
    });
  }
});
