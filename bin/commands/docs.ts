import { readFileSync, writeFileSync } from "node:fs";
import { referenceMarkdown, spliceReference } from "../../compiler/docs.js";
import { UsageError, type Parsed } from "../args.js";

export const help = `optc docs [--write README.md] [--check README.md]

Prints the language reference (every name, its arguments and defaults) generated from the
registry; --write replaces the generated block of a README; --check exits 1 when it is stale.`;

export function run(p: Parsed): number {
  const target = p.options.write ?? p.options.check;
  if (target === undefined) {
    process.stdout.write(referenceMarkdown() + "\n");
    return 0;
  }
  if (target === true) throw new UsageError("--write/--check need a file");
  const readme = readFileSync(target, "utf8");
  const next = spliceReference(readme);
  if (next === undefined) throw new UsageError(`${target} has no reference markers`);
  if (p.options.check) {
    if (next === readme) return 0;
    process.stderr.write(`${target}: the language reference is stale; run npm run docs\n`);
    return 1;
  }
  if (next !== readme) writeFileSync(target, next);
  return 0;
}
