/**
 * A whole model.fit epoch with tf.train.adam vs optc's tfjsOptimizer on tfjs-webgl and
 * tfjs-webgpu, in headless Chromium (SwiftShader here); the page is bench/tfjs_browser_page.ts.
 * Usage: tsx bench/tfjs_browser.ts [ROUNDS=3]   (one JSON object per backend on stdout)
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve, withPage } from "../test/helpers/browser.js";

const ROOT = new URL("../", import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 3);
const dir = join(ROOT, "test/.generated/tfjs-bench-page");
mkdirSync(dir, { recursive: true });
// gpu.js's browser bundle: on webgl, tfjsOptimizer runs optc's gpu.js kernels on tfjs's context.
copyFileSync(join(ROOT, "node_modules/gpu.js/dist/gpu-browser.min.js"), join(dir, "gpu-browser.min.js"));
writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><pre id="result">running</pre><script src="./gpu-browser.min.js"></script><script type="module" src="./main.js"></script>\n');
await build({ entryPoints: [join(ROOT, "bench/tfjs_browser_page.ts")], bundle: true, format: "esm", target: "es2022", outfile: join(dir, "main.js"), logLevel: "silent", external: ["gpu.js", "webgpu", "ts-morph", "node:*"] });
const { url, server } = await serve(dir);
const out: Record<string, unknown> = {};
try {
  for (const backend of ["webgl", "webgpu"]) {
    const text = await withPage(
      `${url}?backend=${backend}&rounds=${rounds}`,
      async (page) => {
        await page.waitForFunction(() => document.getElementById("result")?.textContent !== "running", undefined, { timeout: 600_000 });
        return page.textContent("#result");
      },
      ["--enable-unsafe-webgpu"],
    );
    if (!text || text.startsWith("error")) throw new Error(`${backend}: ${text}`);
    out[backend] = JSON.parse(text);
    process.stderr.write(`  ${backend}: ${text}\n`);
  }
} finally {
  server.close();
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
