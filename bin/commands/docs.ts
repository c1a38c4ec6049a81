import { referenceMarkdown, spliceReference } from "../../compiler/docs.js";
import { UsageError, type Parsed } from "../args.js";
import { out, readTextFile, showPath, writeFileAtomic } from "../io.js";

export const help = `optc docs [--write README.md] [--check README.md]

Prints the language reference (every name, its arguments and defaults) generated from the
registry; --write replaces the generated block of a README (atomically); --check exits 1 when
it is stale. The README must be a regular file of at most 16 MiB.`;

export function run(p: Parsed): number {
  if (p.options.write !== undefined && p.options.check !== undefined) throw new UsageError("give --write or --check, not both");
  const target = p.options.write ?? p.options.check;
  if (target === undefined) {
    out(referenceMarkdown() + "\n");
    return 0;
  }
  if (target === true || target === "") throw new UsageError("--write/--check need a file");
  const readme = readTextFile(target)!;
  const next = spliceReference(readme);
  if (next === undefined) throw new UsageError(`${showPath(target)} has no reference markers`);
  if (p.options.check) {
    if (next === readme) return 0;
    process.stderr.write(`${showPath(target)}: the language reference is stale; run npm run docs\n`);
    return 1;
  }
  if (next !== readme) writeFileAtomic(target, next);
  return 0;
}
