import { hasErrors } from "../../dsl/diagnostic.js";
import { formatProgram } from "../../dsl/format.js";
import { parse } from "../../dsl/parse.js";
import { UsageError, type Parsed } from "../args.js";
import { out, printDiagnostics, readSource, showPath, writeFileAtomic } from "../io.js";

export const help = `optc fmt '<config>' | -f file.opt [--write] [--check]

Prints the config in canonical layout. --write rewrites the file (atomically, and only when it
changes); --check exits 1 when the file is not formatted (for CI). Comments are kept: one on a
line of its own stays above the statement, argument, list item or map entry that follows it;
one after code stays after that element, on its line (brackets that hold a comment are broken
one element per line); one in the middle of an element moves above it. Blank lines are not
kept. A config is at most 1 MiB (-f FILE, or -f - for stdin).`;

export function run(p: Parsed): number {
  const file = typeof p.options.file === "string" && p.options.file !== "-" ? p.options.file : undefined;
  if (p.options.write && !file) throw new UsageError("--write needs -f file");
  const src = readSource(p);
  const parsed = parse(src.text);
  printDiagnostics(parsed.diagnostics, src);
  if (!parsed.program || hasErrors(parsed.diagnostics)) return 1;
  const formatted = formatProgram(parsed.program, src.text);
  if (p.options.check) {
    if (formatted === src.text) return 0;
    process.stderr.write(`${showPath(src.file)} is not formatted; run optc fmt --write\n`);
    return 1;
  }
  if (file && p.options.write) {
    if (formatted !== src.text) writeFileAtomic(file, formatted);
    return 0;
  }
  out(formatted);
  return 0;
}
