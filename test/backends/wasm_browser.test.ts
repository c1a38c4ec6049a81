/**
 * The wasm target in headless Chromium, under a Content-Security-Policy: a build-time module
 * (bytes embedded, no fetch) steps bit-identically to Node's run where the page allows
 * 'wasm-unsafe-eval', and is refused with R117 (not a raw CompileError) where it does not.
 */
import { build as esbuild } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../build.js";
import { browserUnavailable, serve, withPage } from "../helpers/browser.js";
import { makeRun, quadGrad } from "../helpers/run.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const DIR = join(ROOT, "test/.generated/wasm-browser");
const unavailable = browserUnavailable();
if (unavailable) {
  console.warn(`wasm browser test skipped: ${unavailable}`);
  if (process.env.CI === "true") throw new Error(`CI=true but the browser test cannot run: ${unavailable}`);
}

const CONFIG = "sam(adam(0.05), chain(normalize(), sgd(0.1)), sync=2)";
const W0 = Array.from({ length: 11 }, (_, i) => Math.sin(i) * 2);

/** What the page runs: 5 steps of Σw² gradients, then the params (or the error's code). */
const MAIN = `
import create from "./opt.ts";
const out = document.getElementById("result");
try {
  const run = await create({ w: { shape: [${W0.length}], data: Float32Array.from(${JSON.stringify(W0)}) } });
  for (let s = 0; s < 5; s++) {
    for (let i = 0; i < run.params.w.length; i++) run.grads.w[i] = 2 * run.params.w[i];
    run.stepSync();
  }
  out.textContent = JSON.stringify({ params: Array.from(run.params.w) });
} catch (e) {
  out.textContent = JSON.stringify({ error: e.code ?? String(e) });
}
`;

function page(csp: string): string {
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><pre id="result"></pre><script type="module" src="main.js"></script>`;
}

describe.skipIf(unavailable !== undefined)("the wasm target in Chromium", () => {
  it("allowed by 'wasm-unsafe-eval': bit-identical to Node; without it: R117", async () => {
    mkdirSync(join(DIR, "ok"), { recursive: true });
    mkdirSync(join(DIR, "strict"), { recursive: true });
    const mod = compileToModule(CONFIG, { target: "wasm", runtimeImport: join(ROOT, "runtime/index.ts"), name: "create" });
    writeFileSync(join(DIR, "opt.ts"), mod.code!);
    writeFileSync(join(DIR, "main.ts"), MAIN);
    const out = await esbuild({ entryPoints: [join(DIR, "main.ts")], bundle: true, write: false, format: "esm", platform: "browser", target: "es2022" });
    for (const sub of ["ok", "strict"]) writeFileSync(join(DIR, sub, "main.js"), out.outputFiles[0].text);
    writeFileSync(join(DIR, "ok", "index.html"), page("script-src 'self' 'wasm-unsafe-eval'"));
    writeFileSync(join(DIR, "strict", "index.html"), page("script-src 'self'"));

    const node = makeRun(CONFIG, { w: W0 }, "wasm");
    for (let s = 0; s < 5; s++) (quadGrad(node.params, node.grads), node.stepSync());
    const ref = makeRun(CONFIG, { w: W0 }, "interp");
    for (let s = 0; s < 5; s++) (quadGrad(ref.params, ref.grads), ref.stepSync());
    expect(Array.from(node.params.w)).toEqual(Array.from(ref.params.w));

    const { url, server } = await serve(DIR);
    try {
      const read = (sub: string) =>
        withPage(`${url}${sub}/`, async (p) => {
          await p.waitForFunction(() => document.getElementById("result")?.textContent?.startsWith("{"), undefined, { timeout: 30_000 });
          return JSON.parse((await p.textContent("#result"))!) as { params?: number[]; error?: string };
        });
      const ok = await read("ok");
      expect(ok.error).toBeUndefined();
      expect(ok.params).toEqual(Array.from(ref.params.w));
      expect(await read("strict")).toEqual({ error: "R117" });
    } finally {
      server.close();
    }
  }, 120_000);
});
