import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { compileToModule } from "../../compiler/codegen/ts_module.js";
import { isTarget, TARGETS } from "../../format/artifact.js";
import { UsageError, type Parsed } from "../args.js";
import { printDiagnostics, readSource } from "../io.js";

export const help = `optc compile '<config>' | -f train.opt [--target js] [--out src/optim/sam.ts]
             [--name createSam] [--runtime-import optc/runtime] [--check]

Writes a standalone TypeScript module (ts-morph) that imports only optc's runtime entry:
kernels as ordinary functions (no eval), the state layout and host program as typed
constants, a header with the config, the optc version and the plan, and a typed factory
\`createSam(params, options)\` (also the default export) returning the same Run as
compile(config).init(params). Output is deterministic. Without --out it prints the module.
--check exits 1 when the file at --out is missing or stale (for CI).`;

export function run(p: Parsed): number {
  const src = readSource(p);
  const target = typeof p.options.target === "string" ? p.options.target : "js";
  if (!isTarget(target)) throw new UsageError(`unknown target '${target}' (targets: ${TARGETS.join(", ")})`);
  const r = compileToModule(src.text, {
    target,
    name: typeof p.options.name === "string" ? p.options.name : undefined,
    runtimeImport: typeof p.options["runtime-import"] === "string" ? p.options["runtime-import"] : undefined,
  });
  printDiagnostics(r.diagnostics, src);
  if (r.code === undefined) return 1;
  const out = p.options.out;
  if (out === undefined || out === true) {
    if (p.options.check) throw new UsageError("--check needs --out");
    process.stdout.write(r.code);
    return 0;
  }
  if (p.options.check) {
    if (existsSync(out) && readFileSync(out, "utf8") === r.code) return 0;
    process.stderr.write(`${out} is ${existsSync(out) ? "stale" : "missing"}; run optc compile again\n`);
    return 1;
  }
  mkdirSync(dirname(out), { recursive: true });
  if (!existsSync(out) || readFileSync(out, "utf8") !== r.code) writeFileSync(out, r.code);
  return 0;
}
