/**
 * optc's tfjsOptimizer inside tfjs in headless Chromium, on tfjs's WebGL2 and WebGPU backends:
 * the same problem trained with tfjs's adam, sgd and momentum and with optc's equivalents ends
 * with the same weights; and opaque SAM (4 minimize calls, each evaluating 2 adversarial
 * gradients itself) ends where transparent SAM does after 12 (optax's two modes make the same
 * outer updates), within the same tolerance per step.
 *
 * Tolerance: both compute in float32 on the GPU, in a different order (tfjs: one kernel per op;
 * optc: one fused kernel, bias corrections 1 - β^t formed differently), so the weights differ by
 * a few float32 roundings per step: we allow 8 float32 ulps per step relative to max(1, |w|),
 * over the 10 steps taken.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { browserUnavailable, serve, withPage } from "../helpers/browser.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const unavailable = browserUnavailable();
if (unavailable) {
  console.warn(`tfjs browser tests skipped: ${unavailable}`);
  if (process.env.CI === "true") throw new Error(`CI=true but the tfjs browser tests cannot run: ${unavailable}`);
}
const ULPS_PER_STEP = 8 * 2 ** -23;
/** Optimizer calls per case: 10; SAM's reference, transparent mode, makes 12. */
const CALLS: Record<string, number> = { adam: 10, sgd: 10, momentum: 10, sam: 12 };

type Weights = { w: number[]; b: number[]; reads: number };

describe("tfjsOptimizer in headless Chromium, tfjs's own optimizers as the reference", () => {
  for (const backend of ["webgl", "webgpu"]) {
    it.skipIf(unavailable !== undefined)(`${backend}: adam, sgd and momentum end with tfjs's weights; opaque SAM (minimize) with transparent SAM's`, async () => {
      const dir = join(ROOT, "test/.generated/tfjs-page");
      mkdirSync(dir, { recursive: true });
      // gpu.js's browser bundle, as a page would load it: on webgl, tfjsOptimizer finds its global GPU and runs optc's gpu.js kernels on tfjs's context.
      copyFileSync(join(ROOT, "node_modules/gpu.js/dist/gpu-browser.min.js"), join(dir, "gpu-browser.min.js"));
      writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><pre id="result">running</pre><script src="./gpu-browser.min.js"></script><script type="module" src="./main.js"></script>\n');
      await build({ entryPoints: [join(ROOT, "test/tfjs/pages/tfjs_backends.ts")], bundle: true, format: "esm", target: "es2022", outfile: join(dir, "main.js"), logLevel: "silent", external: ["gpu.js", "webgpu", "ts-morph", "node:*"] });
      const { url, server } = await serve(dir);
      try {
        const text = await withPage(
          `${url}?backend=${backend}`,
          async (page) => {
            await page.waitForFunction(() => document.getElementById("result")?.textContent !== "running", undefined, { timeout: 90_000 });
            return page.textContent("#result");
          },
          ["--enable-unsafe-webgpu", "--use-angle=swiftshader", "--enable-features=Vulkan"],
        );
        expect(text).not.toMatch(/^error/);
        const out = JSON.parse(text!) as Record<string, { ref: Weights; got: Weights; describe: string }> & { backend: string };
        expect(out.backend).toBe(backend);
        const checks = (out as unknown as { checks: Record<string, number[] | string> }).checks;
        expect(checks.code, `${backend}: a NaN gradient at sync()`).toBe("R201");
        expect(checks.afterNaN, `${backend}: the variable after the refused step`).toEqual(checks.beforeNaN);
        expect(checks.restored, `${backend}: setWeights(getWeights())`).toEqual(checks.atSave);
        expect(checks.replayed, `${backend}: the same 2 steps after setWeights`).toEqual(checks.replayedFrom);
        expect(checks.assigned, `${backend}: assign() between steps wins`).toEqual([9.5, 9.5, 9.5, 9.5]);
        expect(checks.describe).toMatch(backend === "webgl" ? /optc gpujs/ : /optc webgpu/);
        expect(checks.samCodes, `${backend}: opaque SAM with f throwing, then NaN, at the second adversarial evaluation`).toBe("R205R201");
        expect(checks.samAfter, `${backend}: opaque SAM's variable after both`).toEqual(checks.samBefore);
        for (const name of ["adam", "sgd", "momentum", "sam"]) {
          const { ref, got, describe: said } = out[name];
          console.log(`${backend} ${name}: ${said}`);
          if (backend === "webgpu") expect(said, `${name} runs on tfjs's device`).toMatch(/tfjs-webgpu/);
          // On webgl optc's gpu.js kernels share tfjs's context (opaque SAM's evaluations too).
          if (backend === "webgl") expect(said, `${name} runs on tfjs's WebGL2 context`).toMatch(/optc gpujs: .* on tfjs's WebGL2 context/);
          expect(got.reads, `${backend} ${name}: GPU reads while optc stepped (after the first step)`).toBe(0);
          const tolerance = ULPS_PER_STEP * CALLS[name];
          for (const k of ["w", "b"] as const) {
            ref[k].forEach((r, i) => {
              const x = got[k][i];
              if (!(Math.abs(x - r) <= tolerance * Math.max(1, Math.abs(r)))) throw new Error(`${backend} ${name} ${k}[${i}]: optc ${x} vs tfjs ${r}`);
            });
          }
        }
      } finally {
        server.close();
      }
    }, 180_000);
  }
});
