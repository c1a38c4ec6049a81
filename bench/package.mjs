#!/usr/bin/env node
// The package as a user meets it (`npm run bench:package`): cold start of the installed CLI and
// of `import("optc")` as ratios to a bare `node -e ''` (medians of whole processes, interleaved
// in one run), the size of a runtime-only install, and gzip sizes of browser bundles. Writes
// bench/results/package.{json,md}; `--readme` also splices the table into README.md.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { installInto, pack, ROOT, sh } from "../scripts/pack_install.mjs";

const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 21);
const require = createRequire(join(ROOT, "package.json"));
const { build } = await import(require.resolve("esbuild"));

const packed = pack();
const app = installInto(packed.tarball, { name: "bench-user" });
const bin = join(app, "node_modules/optc/bin/optc.js");

/** What a process costs, started from the installed project. */
const CASES = {
  "node -e ''": ["-e", ""],
  "import('optc/runtime')": ["--input-type=module", "-e", "await import('optc/runtime')"],
  "import('optc')": ["--input-type=module", "-e", "await import('optc')"],
  "import('optc') + compile('adam(1e-3)')": ["--input-type=module", "-e", "const { compile } = await import('optc'); compile('adam(1e-3)')"],
  "optc --version": [bin, "--version"],
  "optc check 'adam(1e-3)'": [bin, "check", "adam(1e-3)"],
  // The CLI as it was: the TypeScript sources through tsx, chevrotain's package entry.
  "optc check from sources (tsx)": [join(ROOT, "bin/optc.js"), "check", "adam(1e-3)"],
};

function timeOnce(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: app, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Peak resident memory of one run, from GNU time where it is installed. */
function peakMB(args) {
  const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, ...args], { cwd: app, encoding: "utf8" });
  const kb = Number(r.stderr?.trim().split("\n").pop());
  return Number.isFinite(kb) && kb > 0 ? kb / 1024 : undefined;
}

const samples = Object.fromEntries(Object.keys(CASES).map((k) => [k, []]));
for (const args of Object.values(CASES)) timeOnce(args); // warm the file cache
for (let r = 0; r < rounds; r++) for (const [k, args] of Object.entries(CASES)) samples[k].push(timeOnce(args));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const base = median(samples["node -e ''"]);
const cold = Object.entries(CASES).map(([k, args]) => ({ case: k, ms: median(samples[k]), ratio: median(samples[k]) / base, peakMB: peakMB(args) }));

const bundle = async (contents) => {
  const r = await build({ stdin: { contents, resolveDir: app, loader: "js" }, bundle: true, platform: "browser", format: "esm", target: "es2022", minify: true, write: false, logLevel: "silent" });
  const text = r.outputFiles[0].text;
  return { bytes: Buffer.byteLength(text), gzip: gzipSync(text, { level: 9 }).length };
};
const bundles = {
  "optc/runtime (load + prebuiltKernels: a build-time module's runtime)": await bundle(`export { load, prebuiltKernels } from "optc/runtime";`),
  "optc/runtime, all of it (GPU runs included)": await bundle(`export * from "optc/runtime";`),
  "compile() from a config string (parser and compiler included)": await bundle(`export { compile } from "optc";`),
};

const results = {
  machine: `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  date: new Date().toISOString(),
  rounds,
  tarball: { bytes: packed.size, unpackedBytes: packed.unpackedSize, files: packed.files.length },
  runtimeInstall: sh("du", ["-sh", "node_modules"], { cwd: app }).split("\t")[0],
  cold,
  bundles,
};

const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
const md = [
  `Machine: ${results.machine}; ${results.date.slice(0, 10)}; medians of ${rounds} interleaved runs of each whole process, started in a project where the packed tarball is installed.`,
  "",
  "| process | median ms | / `node -e ''` | peak RSS |",
  "|---|---|---|---|",
  ...cold.map((c) => `| \`${c.case}\` | ${c.ms.toFixed(0)} | ${c.ratio.toFixed(2)} | ${c.peakMB ? `${c.peakMB.toFixed(0)} MB` : "-"} |`),
  "",
  `Install: the tarball is ${kb(packed.size)} (${kb(packed.unpackedSize)} unpacked, ${packed.files.length} files); \`npm i optc\` for runtime use installs nothing else: \`du -sh node_modules\` = ${results.runtimeInstall}.`,
  "",
  "| browser bundle (esbuild, minified) | size | gzip |",
  "|---|---|---|",
  ...Object.entries(bundles).map(([k, b]) => `| ${k} | ${kb(b.bytes)} | ${kb(b.gzip)} |`),
].join("\n");

console.log(md);
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/package.json"), JSON.stringify(results, null, 1));
writeFileSync(join(ROOT, "bench/results/package.md"), `${md}\n`);
if (process.argv.includes("--readme")) {
  const readme = join(ROOT, "README.md");
  const text = readFileSync(readme, "utf8");
  const start = "<!-- package:start -->";
  const end = "<!-- package:end -->";
  if (!text.includes(start) || !text.includes(end)) throw new Error(`README.md has no ${start} … ${end} block`);
  writeFileSync(readme, text.slice(0, text.indexOf(start) + start.length) + `\n${md}\n` + text.slice(text.indexOf(end)));
}
