/**
 * The wasm target's threads in headless Chromium: in a cross-origin-isolated page (COOP/COEP)
 * Web Workers share the run's memory, and 2 and 3 threads step bit-identically to one thread
 * (the page's main thread spins where it may not block); close() stops them (a later step is
 * R101, nothing changed); a refused step on threads changes nothing; a CSP without
 * worker-src blob: fails init with that hint. A page that is not isolated runs on one thread and
 * says why.
 */
import { build as esbuild } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../build.js";
import { browserUnavailable, ISOLATED, serve, withPage } from "../helpers/browser.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const DIR = join(ROOT, "test/.generated/wasm-threads-browser");
const unavailable = browserUnavailable();
if (unavailable) {
  console.warn(`wasm threads browser test skipped: ${unavailable}`);
  if (process.env.CI === "true") throw new Error(`CI=true but the browser test cannot run: ${unavailable}`);
}

/** A plain optimizer, a reducing chain, SAM in both modes. */
const CONFIGS = ["adam(1e-3)", "chain(clip_by_global_norm(1.0), adam(1e-3))", "sam(adam(0.01), chain(normalize(), sgd(0.05)), sync=3)", "sam(sgd(0.1), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true)"];

/**
 * What the page runs. 800,003 elements: 2^18 per thread at least for 3 threads
 * (MIN_ELEMENTS_PER_THREAD). Each config: 3 steps on 1, 2 and 3 threads, compared by saveState.
 */
const MAIN = `
${CONFIGS.map((_, i) => `import create${i} from "./opt${i}.ts";`).join("\n")}
const creates = [${CONFIGS.map((_, i) => `create${i}`).join(", ")}];
const warnings = [];
const warn = console.warn;
console.warn = (...a) => (warnings.push(a.join(" ")), warn(...a));
const params = () => ({
  a: { shape: [500000], data: Float32Array.from({ length: 500000 }, (_, i) => Math.sin(i * 0.1)) },
  b: { shape: [300000], data: Float32Array.from({ length: 300000 }, (_, i) => Math.cos(i * 0.3)) },
  c: [1, -2, 3],
});
const grad = (p, out) => { for (const [k, x] of Object.entries(p)) for (let i = 0; i < x.length; i++) out[k][i] = Math.sin(3 * x[i] + i); };
const gradFn = (p, _i, out) => grad(p, out);
const codeOf = async (f) => { try { await f(); return "none"; } catch (e) { return e.code ?? String(e); } };
const out = document.getElementById("result");
try {
  const result = { isolated: crossOriginIsolated, configs: [], warnings };
  for (const create of creates) {
    const runs = [];
    for (const threads of [1, 2, 3]) runs.push(await create(params(), { threads }));
    for (let s = 0; s < 3; s++) for (const r of runs) (grad(r.params, r.grads), await r.step({ gradFn }));
    const [one, ...more] = runs.map((r) => JSON.stringify(r.saveState()));
    result.configs.push({ threads: runs.map((r) => r.threads), same: more.map((m) => m === one) });
    for (const r of runs) await r.close();
  }
  const two = await creates[1](params(), { threads: 2 });
  grad(two.params, two.grads);
  two.stepSync();
  two.grads.b[299999] = NaN;
  let before = JSON.stringify(two.saveState());
  result.refused = await codeOf(() => two.step());
  result.refusedSame = JSON.stringify(two.saveState()) === before;
  await two.close();
  await two.close();
  grad(two.params, two.grads);
  before = JSON.stringify(two.saveState());
  result.closed = await codeOf(() => two.step());
  result.closedSame = JSON.stringify(two.saveState()) === before;
  out.textContent = JSON.stringify(result);
} catch (e) {
  out.textContent = JSON.stringify({ error: e.code ? e.code + " " + e.message : String(e) + (e.stack ?? "") });
}
`;

describe.skipIf(unavailable !== undefined)("wasm threads in Chromium (Web Workers)", () => {
  it("isolated: 1, 2 and 3 threads agree bit for bit; close() then step is R101; a refusal changes nothing; not isolated: one thread and why", async () => {
    mkdirSync(DIR, { recursive: true });
    CONFIGS.forEach((config, i) => {
      const mod = compileToModule(config, { target: "wasm", runtimeImport: join(ROOT, "runtime/index.ts"), name: `create${i}` });
      writeFileSync(join(DIR, `opt${i}.ts`), mod.code!);
    });
    writeFileSync(join(DIR, "main.ts"), MAIN);
    const out = await esbuild({ entryPoints: [join(DIR, "main.ts")], bundle: true, write: false, format: "esm", platform: "browser", target: "es2022" });
    writeFileSync(join(DIR, "main.js"), out.outputFiles[0].text);
    // The page allows Blob URL workers and wasm compilation, nothing else (the README's CSP).
    const page = (csp: string) => `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><pre id="result"></pre><script type="module" src="/main.js"></script>`;
    writeFileSync(join(DIR, "index.html"), page("script-src 'self' 'wasm-unsafe-eval'; worker-src blob:"));
    mkdirSync(join(DIR, "strict"), { recursive: true });
    writeFileSync(join(DIR, "strict", "index.html"), page("script-src 'self' 'wasm-unsafe-eval'"));

    const isolated = await serve(DIR, { headers: ISOLATED });
    const plain = await serve(DIR);
    try {
      const read = (url: string) =>
        withPage(url, async (p) => {
          await p.waitForFunction(() => document.getElementById("result")?.textContent?.startsWith("{"), undefined, { timeout: 150_000, polling: 500 });
          return JSON.parse((await p.textContent("#result"))!) as {
            error?: string;
            isolated: boolean;
            configs: { threads: number[]; same: boolean[] }[];
            warnings: string[];
            refused: string;
            refusedSame: boolean;
            closed: string;
            closedSame: boolean;
          };
        });
      const iso = await read(isolated.url);
      expect(iso.error).toBeUndefined();
      expect(iso.isolated).toBe(true);
      expect(iso.warnings).toEqual([]);
      expect(iso.configs).toEqual(CONFIGS.map(() => ({ threads: [1, 2, 3], same: [true, true] })));
      expect([iso.refused, iso.refusedSame]).toEqual(["R201", true]);
      expect([iso.closed, iso.closedSame]).toEqual(["R101", true]);

      // A CSP without worker-src blob: (script-src applies): init fails and says what to allow.
      const strict = (await read(`${isolated.url}strict/`)).error;
      expect(strict).toMatch(/^R117 /);
      expect(strict).toContain("worker-src blob:");

      const not = await read(plain.url);
      expect(not.error).toBeUndefined();
      expect(not.isolated).toBe(false);
      expect(not.configs.map((c) => c.threads)).toEqual(CONFIGS.map(() => [1, 1, 1]));
      expect(not.warnings.length).toBeGreaterThan(0);
      for (const w of not.warnings) expect(w).toContain("runs on one thread here: the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp");
    } finally {
      isolated.server.close();
      plain.server.close();
    }
  }, 400_000);
});
