/**
 * Headless Chromium for backend tests: Debian's /usr/bin/chromium driven by playwright-core,
 * pages served from 127.0.0.1. When Chromium is missing the test is skipped with the reason,
 * except under CI=true, where that is a failure.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** undefined when the browser can run; otherwise why not (the caller skips, or fails in CI). */
export function browserUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
  return undefined;
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

/** What serve() adds to every response, e.g. COOP/COEP for a cross-origin-isolated page. */
export interface ServeOptions {
  headers?: Record<string, string>;
}

/** Cross-origin isolation (SharedArrayBuffer, wasm threads): serve(root, { headers: ISOLATED }). */
export const ISOLATED = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

/** Serves a folder on 127.0.0.1 (a secure context, which WebGPU needs). */
export async function serve(root: string, options: ServeOptions = {}): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent((req.url ?? "/").split("?")[0]).replace(/\/$/, "/index.html")));
    if (!path.startsWith(root) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { ...options.headers, "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("no server address");
  return { url: `http://127.0.0.1:${addr.port}/`, server };
}

export async function withPage<T>(url: string, fn: (page: import("playwright-core").Page) => Promise<T>, extraArgs: string[] = []): Promise<T> {
  const { chromium } = await import("playwright-core");
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "optc-chromium-")), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-default-apps", "--disable-dev-shm-usage", ...extraArgs],
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    const out = await fn(page);
    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    return out;
  } finally {
    await context.close();
  }
}
