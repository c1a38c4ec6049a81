/**
 * A headless Chromium page with gpu.js's browser bundle and optc's gpu.js runtime, for the
 * WebGL2 golden tests: cases go in as compiled artifacts, params per step come back.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { PageCase, PageResult, QueueCase, QueueResult } from "../backends/pages/gpujs_golden.js";
import type { CompiledStep } from "../../format/artifact.js";
import { CHROMIUM, serve } from "./browser.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const ARGS = ["--no-sandbox", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-default-apps", "--disable-dev-shm-usage"];

export interface GpuJsPage {
  trajectory(c: PageCase): Promise<PageResult>;
  /** Queued steps with the page's read backs (readPixels, getBufferSubData) counted: test/backends/gpujs_queue.test.ts. */
  queued(c: QueueCase): Promise<QueueResult>;
  beyondOneTexture(artifact: CompiledStep, lr: number): Promise<{ kernelType: string; pages: number; n: number; maxDiff: number }>;
  page: Page;
  close(): Promise<void>;
}

/** Builds the page (esbuild), serves it on 127.0.0.1 and opens it in headless Chromium. */
export async function openGpuJsPage(entry = "test/backends/pages/gpujs_golden.ts"): Promise<GpuJsPage> {
  const dir = join(ROOT, "test/.generated/gpujs-page");
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(ROOT, "node_modules/gpu.js/dist/gpu-browser.min.js"), join(dir, "gpu-browser.min.js"));
  writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><pre id="result">loading</pre><script src="./gpu-browser.min.js"></script><script type="module" src="./main.js"></script>\n');
  await build({ entryPoints: [join(ROOT, entry)], bundle: true, format: "esm", target: "es2022", outfile: join(dir, "main.js"), logLevel: "silent" });
  const { url, server } = await serve(dir);
  const { chromium } = await import("playwright-core");
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "optc-chromium-")), { executablePath: CHROMIUM, headless: true, args: ARGS });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("result")?.textContent !== "loading", undefined, { timeout: 60_000 });
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  return {
    page,
    beyondOneTexture: (artifact, lr) =>
      page.evaluate(([a, r]) => (globalThis as unknown as { optcGpuJs: { beyondOneTexture(a: unknown, r: number): Promise<{ kernelType: string; pages: number; n: number; maxDiff: number }> } }).optcGpuJs.beyondOneTexture(a, r as number), [artifact as unknown as Record<string, unknown>, lr] as const),
    queued: (c) => page.evaluate((arg) => (globalThis as unknown as { optcGpuJsQueue: { queued(c: unknown): Promise<QueueResult> } }).optcGpuJsQueue.queued(arg), c as unknown as Record<string, unknown>) as Promise<QueueResult>,
    trajectory: (c) => page.evaluate((arg) => (globalThis as unknown as { optcGpuJs: { trajectory(c: unknown): Promise<PageResult> } }).optcGpuJs.trajectory(arg), c as unknown as Record<string, unknown>) as Promise<PageResult>,
    close: async () => {
      await context.close();
      server.close();
    },
  };
}
