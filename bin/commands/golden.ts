import { checkGolden, driftError, recordGolden } from "../../tools/golden/check.js";
import { expectSameRecording } from "../../tools/golden/expect.js";
import { GoldenError, readGoldenFile, serializeGolden, unknownBackend } from "../../tools/golden/format.js";
import { formatGoldenReport } from "../../tools/golden/report.js";
import { PROBLEMS } from "../../tools/problems.js";
import { BACKENDS, isBackend } from "../../tools/trajectory.js";
import { positiveInt, problemOptions, show, UsageError, type Parsed } from "../args.js";
import { checkWritable, isPipe, out, readSource, showPath, writeFileAtomic } from "../io.js";

export const help = `optc golden record '<config>' | -f train.opt --out FILE [--backends js,webgpu,gpujs]
                   [--problem ${PROBLEMS.join("|")}] [--x0=a,b,..] [--target=a,b,..] [--steps N]
optc golden check FILE [--backends js,webgpu,gpujs] [--config '<config>']

Golden-output tests per backend. \`record\` runs the config on a toy problem (as optc trace
does; default quadratic, 10 steps) with the reference interpreter, checks each named backend
(default js) against it and writes FILE: the params after every step, the canonical config,
optc's version, the backends and a digest. \`check\` re-runs FILE on its backends (or
--backends) and prints the worst distance per backend and step in float32 ulps; it exits 1
when a backend drifts past its tolerance: js and interp bit for bit, webgpu (Node's Dawn) and
gpujs (gpu.js's cpu mode) 4 ulps per optimizer phase, accumulated over the steps. --config
also requires FILE to be a recording of that config.
Backends: ${BACKENDS.join(", ")}. FILE is written atomically; a config is at most 1 MiB.`;

function backendsOption(p: Parsed): string[] | undefined {
  const b = p.options.backends;
  if (b === undefined) return undefined;
  if (b === true) throw new UsageError("--backends needs a list, e.g. js,webgpu");
  const names = b.split(",").map((s) => s.trim());
  for (const n of names) if (!isBackend(n)) throw new UsageError(unknownBackend(n, "in --backends").message);
  return names;
}

export async function run(p: Parsed): Promise<number> {
  const [sub, ...positionals] = p.positionals;
  const rest: Parsed = { ...p, positionals };
  const backends = backendsOption(p);
  if (sub === "record") {
    const file = p.options.out;
    if (typeof file !== "string" || file === "") throw new UsageError("record needs --out FILE");
    // Refuse a directory, a device or a path under a file before the run, not after it.
    checkWritable(file);
    const src = readSource(rest);
    const opts = problemOptions(p, PROBLEMS);
    const golden = await recordGolden(src.text, { backends, problem: opts.problem, x0: opts.x0, target: opts.target, steps: positiveInt(p.options.steps, "steps", 10) });
    const report = await checkGolden(golden);
    const table = formatGoldenReport(report, file);
    if (!report.ok) throw driftError(report, table);
    writeFileAtomic(file, serializeGolden(golden));
    out(`${table}\nwrote ${showPath(file)}\n`);
    return 0;
  }
  if (sub === "check") {
    if (positionals.length !== 1) throw new UsageError("check takes one golden file");
    const file = positionals[0];
    // A pipe is refused before it is opened (opening one waits for a writer); other files that
    // are not regular are refused by readGoldenFile (G101).
    if (isPipe(file)) throw new GoldenError("G101", `${file} is not a valid golden file: it is a pipe, not a regular file`, "give the path of a golden file written by optc golden record");
    const golden = readGoldenFile(file);
    if (typeof p.options.config === "string") expectSameRecording(golden, p.options.config, {}, file);
    const report = await checkGolden(golden, { backends });
    const table = formatGoldenReport(report, file);
    if (!report.ok) throw driftError(report, table);
    out(`${table}\n`);
    return 0;
  }
  throw new UsageError(sub === undefined ? "say record or check" : `unknown golden command '${show(sub)}' (record, check)`);
}
