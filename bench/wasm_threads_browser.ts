/**
 * The wasm target's Web Worker threads in headless Chromium (a cross-origin-isolated page; the
 * page is bench/wasm_threads_browser_page.ts): microseconds per dispatch of an empty kernel to one
 * worker, and adam(1e-3)'s step time on 2 threads ÷ 1 thread at 1e6 and 1e7, paired rounds.
 * Usage: tsx bench/wasm_threads_browser.ts [ROUNDS=5]   (one JSON object on stdout)
 */
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileToModule } from "../build.js";
import { ISOLATED, serve, withPage } from "../test/helpers/browser.js";

const ROOT = new URL("../", import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 5);
const dir = join(ROOT, "test/.generated/wasm-threads-bench-page");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "adam.ts"), compileToModule("adam(1e-3)", { target: "wasm", runtimeImport: join(ROOT, "runtime/index.ts"), name: "create" }).code!);
writeFileSync(join(dir, "main.ts"), `import create from "./adam.ts";\nimport { runBench } from ${JSON.stringify(join(ROOT, "bench/wasm_threads_browser_page.ts"))};\nawait runBench(create);\n`);
writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><pre id="result">running</pre><script type="module" src="./main.js"></script>\n');
await build({ entryPoints: [join(dir, "main.ts")], bundle: true, format: "esm", target: "es2022", outfile: join(dir, "main.js"), logLevel: "silent" });
const { url, server } = await serve(dir, { headers: ISOLATED });
try {
  const text = await withPage(`${url}?rounds=${rounds}`, async (page) => {
    await page.waitForFunction(() => document.getElementById("result")?.textContent !== "running", undefined, { timeout: 600_000, polling: 1000 });
    return page.textContent("#result");
  });
  if (!text || text.startsWith("error")) throw new Error(text ?? "no result");
  process.stdout.write(text + "\n");
} finally {
  server.close();
}
process.exit(0);
