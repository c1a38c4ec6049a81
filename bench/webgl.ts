/**
 * optc's gpu.js target vs TensorFlow.js's WebGL backend, in one headless Chromium page (WebGL2
 * on SwiftShader here): step time ratio and kernels per step. Prints JSON rows keyed name/N.
 * Usage: tsx bench/webgl.ts 1e5,1e6 [rounds]
 */
import { compile } from "../index.js";
import { openGpuJsPage } from "../test/helpers/gpujs_page.js";
import type { WebGlCase, WebGlRow } from "./webgl_page.js";

const sizes = (process.argv[2] ?? "1e5,1e6").split(",").map(Number);
const rounds = Number(process.argv[3] ?? 5);
const OPTIMIZERS = {
  adam: { optc: "adam(1e-3)", tfjs: { kind: "adam", lr: 1e-3 } },
  sgd: { optc: "sgd(1e-3)", tfjs: { kind: "sgd", lr: 1e-3 } },
} as const;

const page = await openGpuJsPage("bench/webgl_page.ts");
const out: Record<string, WebGlRow> = {};
try {
  for (const n of sizes) {
    for (const [name, o] of Object.entries(OPTIMIZERS)) {
      const c: WebGlCase = { name, n, artifact: compile(o.optc, { target: "gpujs" }).artifact, tfjs: o.tfjs, rounds };
      out[`${name}/${n}`] = await page.page.evaluate((arg) => (globalThis as unknown as { optcBench: { measure(c: unknown): Promise<WebGlRow> } }).optcBench.measure(arg), c as unknown as Record<string, unknown>);
      process.stderr.write(`  ${name}/${n}: ${JSON.stringify(out[`${name}/${n}`])}\n`);
    }
  }
} finally {
  await page.close();
}
process.stdout.write(JSON.stringify(out));
