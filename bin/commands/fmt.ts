import { readFileSync, writeFileSync } from "node:fs";
import { hasErrors } from "../../dsl/diagnostic.js";
import { formatProgram } from "../../dsl/format.js";
import { parse } from "../../dsl/parse.js";
import type { Parsed } from "../args.js";
import { printDiagnostics, readSource } from "../io.js";

export const help = `optc fmt '<config>' | -f file.opt [--write] [--check]

Prints the config in canonical layout. --write rewrites the file; --check exits 1 when the
file is not formatted (for CI).`;

export function run(p: Parsed): number {
  const src = readSource(p);
  const parsed = parse(src.text);
  printDiagnostics(parsed.diagnostics, src);
  if (!parsed.program || hasErrors(parsed.diagnostics)) return 1;
  const out = formatProgram(parsed.program);
  const file = typeof p.options.file === "string" && p.options.file !== "-" ? p.options.file : undefined;
  if (p.options.check) {
    if (out === src.text) return 0;
    process.stderr.write(`${src.file} is not formatted; run optc fmt --write\n`);
    return 1;
  }
  if (p.options.write) {
    if (!file) {
      process.stderr.write("--write needs -f file\n");
      return 2;
    }
    if (readFileSync(file, "utf8") !== out) writeFileSync(file, out);
    return 0;
  }
  process.stdout.write(out);
  return 0;
}
