import { compileToModule } from "../../compiler/codegen/ts_module.js";
import { isTarget, TARGETS } from "../../format/artifact.js";
import { show, UsageError, type Parsed } from "../args.js";
import { exists, fileHolds, out, printDiagnostics, readSource, showPath, writeFileAtomic } from "../io.js";

export const help = `optc compile '<config>' | -f train.opt [--target js] [--out src/optim/sam.ts]
             [--name createSam] [--runtime-import optc/runtime] [--check]

Writes a standalone TypeScript module (ts-morph) that imports only optc's runtime entry:
kernels as ordinary functions (no eval), the state layout and host program as typed
constants, a header with the config, the optc version and the plan, and a typed factory
\`createSam(params, options)\` (also the default export) returning the same Run as
compile(config).init(params). Output is deterministic. Without --out it prints the module.
--out is written atomically (a temporary file beside it, then a rename), and only when its
content changes; an existing --out must be a regular file. --check exits 1 when the file at
--out is missing or stale (for CI). --name must be an identifier that is not a reserved word
of JavaScript, a standard global or a name the module declares (artifact, kernels, load, ...):
otherwise E402. A config is at most 1 MiB (-f FILE, or -f - for stdin).`;

export function run(p: Parsed): number {
  const src = readSource(p);
  const target = typeof p.options.target === "string" ? p.options.target : "js";
  if (!isTarget(target)) throw new UsageError(`unknown target '${show(target)}' (targets: ${TARGETS.join(", ")})`);
  const out_ = p.options.out;
  if (out_ === "") throw new UsageError("--out needs a file name");
  const r = compileToModule(src.text, {
    target,
    name: typeof p.options.name === "string" ? p.options.name : undefined,
    runtimeImport: typeof p.options["runtime-import"] === "string" ? p.options["runtime-import"] : undefined,
  });
  printDiagnostics(r.diagnostics, src);
  if (r.code === undefined) return 1;
  if (out_ === undefined || out_ === true) {
    if (p.options.check) throw new UsageError("--check needs --out");
    out(r.code);
    return 0;
  }
  if (p.options.check) {
    if (fileHolds(out_, r.code, "check")) return 0;
    process.stderr.write(`${showPath(out_)} is ${exists(out_) ? "stale" : "missing"}; run optc compile again\n`);
    return 1;
  }
  if (!fileHolds(out_, r.code)) writeFileAtomic(out_, r.code);
  return 0;
}
