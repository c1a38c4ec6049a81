/** The example Vite app: `import createOpt from "./train.opt"` built by `vite build`, stepped in headless Chromium. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "vite";
import { describe, expect, it } from "vitest";
import { optc } from "../../vite.js";
import { browserUnavailable, serve, withPage } from "../helpers/browser.js";
import { expectClose } from "../helpers/run.js";
import { SAM_PHASES_A, SAM_ROWS_A } from "../helpers/spec_rows.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const APP = join(ROOT, "examples/vite-app");
const unavailable = browserUnavailable();
if (unavailable) {
  console.warn(`vite app browser test skipped: ${unavailable}`);
  if (process.env.CI === "true") throw new Error(`CI=true but the browser test cannot run: ${unavailable}`);
}


type Loc = { line: number; column: number; file?: string };

describe("examples/vite-app", () => {
  it("vite build compiles train.opt at build time into an eval-free bundle", async () => {
    await build({ configFile: join(APP, "vite.config.ts"), logLevel: "silent" });
    const assets = readdirSync(join(APP, "dist/assets")).filter((f) => f.endsWith(".js"));
    const js = assets.map((f) => readFileSync(join(APP, "dist/assets", f), "utf8")).join("\n");
    expect(js).not.toMatch(/chevrotain|new Function|\beval\(|CstParser/);
    expect(js).toContain("adversarial_first");
  });

  it.skipIf(unavailable !== undefined)("runs a SAM step in headless Chromium with the spec's numbers", async () => {
    const { url, server } = await serve(join(APP, "dist"));
    try {
      const text = await withPage(url, async (page) => {
        await page.waitForFunction(() => document.getElementById("result")?.textContent?.startsWith("["), undefined, { timeout: 30_000 });
        return page.textContent("#result");
      });
      const rows = JSON.parse(text!) as { phase: string; params: number[] }[];
      expect(rows.map((r) => r.phase)).toEqual(SAM_PHASES_A);
      rows.forEach((r, i) => expectClose(r.params, SAM_ROWS_A[i], 2.4e-7, 3e-8));
    } finally {
      server.close();
    }
  });

  it("a bad .opt file is a Vite error pointing at the file and line", async () => {
    const dir = join(ROOT, "test/.generated/vite-broken");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "train.opt"), "# broken\nsam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_perod=2)\n");
    writeFileSync(join(dir, "main.js"), 'import create from "./train.opt";\nconsole.log(create);\n');
    const err = await build({ root: dir, logLevel: "silent", plugins: [optc()], build: { write: false, lib: { entry: join(dir, "main.js"), formats: ["es"], fileName: "x" } } }).then(
      () => undefined,
      (e: unknown) => e as Error & { loc?: Loc; errors?: { loc?: Loc }[] },
    );
    expect(err).toBeDefined();
    expect(err!.message).toContain("error[E202]");
    expect(err!.message).toContain("did you mean 'sync_period'?");
    // Vite 8 (rolldown) wraps plugin errors in `errors`.
    const loc = err!.loc ?? err!.errors?.[0]?.loc;
    expect(loc).toMatchObject({ file: join(dir, "train.opt"), line: 2 });
  });
});
