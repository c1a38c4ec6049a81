#!/usr/bin/env node
// Builds dist/, what the published package runs: `npm run build` (and `prepare`, so `npm ci`,
// `npm pack` and `npm publish` build it too).
//
// - JavaScript: esbuild bundles each entry (with code splitting, so shared code is one chunk).
//   A handful of files load much faster than a hundred small ES modules, and chevrotain comes
//   from its own prebuilt bundle (lib/chevrotain.min.mjs): its package entry loads lodash-es
//   module by module (~600 ms cold). Every other package stays external (optional peers).
// - Types: tsc emits declarations; only those reachable from an entry are kept, and none of
//   them may import a package the installed optc does not bring (chevrotain, ts-morph, ...).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const require = createRequire(import.meta.url);

/** Entry name (its path under dist/, without .js) → source file. */
export const ENTRIES = {
  index: "index.ts",
  "runtime/index": "runtime/index.ts",
  build: "build.ts",
  vite: "vite.ts",
  golden: "golden.ts",
  tfjs: "tfjs.ts",
  "bin/cli": "bin/cli.ts",
};

/** Packages a shipped declaration file may import: the consumer has them where that entry is used. */
const TYPE_IMPORTS_ALLOWED = {
  "vite.d.ts": ["vite"],
  // optc/tfjs: its consumer has tfjs-core (an optional peer, for that entry only).
  "tfjs/optimizer.d.ts": ["@tensorflow/tfjs-core"],
  "tfjs/bridge.d.ts": ["@tensorflow/tfjs-core"],
  "tfjs/weights.d.ts": ["@tensorflow/tfjs-core"],
  "tfjs/webgpu.d.ts": ["@tensorflow/tfjs-core"],
};

const chevrotainBundle = {
  name: "chevrotain-prebuilt",
  setup(b) {
    // chevrotain's `exports` hides lib/, so resolve the package and take the bundle beside it.
    const api = require.resolve("chevrotain");
    const bundle = join(api.slice(0, api.lastIndexOf(`${join("lib", "src")}`)), "lib", "chevrotain.min.mjs");
    if (!existsSync(bundle)) throw new Error(`chevrotain's prebuilt bundle is missing: ${bundle}`);
    b.onResolve({ filter: /^chevrotain$/ }, () => ({ path: bundle }));
  },
};

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Keeps the declaration files reachable from the entries; fails on imports of packages optc does not ship. */
function pruneDeclarations() {
  const reachable = new Set();
  const problems = [];
  const visit = (file) => {
    if (reachable.has(file)) return;
    reachable.add(file);
    // Comments may show imports (usage examples); only code counts.
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)) {
      const spec = m[1];
      if (spec.startsWith(".")) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, ".d.ts"));
        if (!existsSync(target)) problems.push(`${relative(dist, file)} imports ${spec}, which has no declaration file`);
        else visit(target);
      } else if (!(TYPE_IMPORTS_ALLOWED[relative(dist, file)] ?? []).includes(spec)) {
        problems.push(`${relative(dist, file)} imports '${spec}', which an installed optc does not bring`);
      }
    }
  };
  for (const entry of Object.keys(ENTRIES)) if (!entry.startsWith("bin/")) visit(join(dist, `${entry}.d.ts`));
  if (problems.length) throw new Error(`declaration files:\n  ${problems.join("\n  ")}`);
  for (const f of walk(dist)) if (f.endsWith(".d.ts") && !reachable.has(f)) rmSync(f);
  removeEmptyDirs(dist);
}

function removeEmptyDirs(dir) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) removeEmptyDirs(p);
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

export async function buildDist() {
  rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([out, src]) => [out, join(root, src)])),
    outdir: dist,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    packages: "external",
    chunkNames: "chunks/[name]-[hash]",
    plugins: [chevrotainBundle],
    logLevel: "warning",
  });
  pruneDeclarations();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildDist();
