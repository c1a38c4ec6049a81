/** One browser smoke test: a compiled SAM step through navigator.gpu in headless Chromium (--enable-unsafe-webgpu). */
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../index.js";
import { browserUnavailable, serve, withPage } from "../helpers/browser.js";
import { SAM_PHASES_A, SAM_ROWS_A } from "../helpers/spec_rows.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const unavailable = browserUnavailable();
if (unavailable) {
  console.warn(`WebGPU browser test skipped: ${unavailable}`);
  if (process.env.CI === "true") throw new Error(`CI=true but the browser test cannot run: ${unavailable}`);
}

describe("WebGPU in headless Chromium", () => {
  it.skipIf(unavailable !== undefined)("runs the paper's SAM through navigator.gpu with the spec's numbers", async () => {
    const dir = join(ROOT, "test/.generated/webgpu-page");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "artifact.json"), JSON.stringify(compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2)", { target: "webgpu" }).artifact));
    writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><pre id="result">running</pre><script type="module" src="./main.js"></script>\n');
    await build({ entryPoints: [join(ROOT, "test/backends/pages/webgpu_sam.ts")], bundle: true, format: "esm", target: "es2022", outfile: join(dir, "main.js"), logLevel: "silent" });
    const { url, server } = await serve(dir);
    try {
      const text = await withPage(
        url,
        async (page) => {
          await page.waitForFunction(() => document.getElementById("result")?.textContent !== "running", undefined, { timeout: 60_000 });
          return page.textContent("#result");
        },
        ["--enable-unsafe-webgpu"],
      );
      expect(text).not.toMatch(/^error/);
      const rows = JSON.parse(text!) as { phase: string; params: number[]; adapter: string }[];
      expect(rows.map((r) => r.phase)).toEqual(SAM_PHASES_A);
      rows.forEach((r, i) => r.params.forEach((x, j) => expect(Math.abs(x - SAM_ROWS_A[i][j])).toBeLessThanOrEqual(4 * 2 ** -23 * (i + 1) * Math.max(1, Math.abs(SAM_ROWS_A[i][j])))));
    } finally {
      server.close();
    }
  });
});
