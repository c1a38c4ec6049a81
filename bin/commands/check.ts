import { describeState } from "../../compiler/describe.js";
import { compileSource } from "../../compiler/pipeline.js";
import { escapeUnsafe } from "../../dsl/format.js";
import type { Parsed } from "../args.js";
import { out, printDiagnostics, readSource } from "../io.js";

export const help = `optc check '<config>' | -f file.opt

Checks a config. On success prints its canonical form and the state the optimizer keeps,
and exits 0; otherwise prints every diagnostic and exits 1. A config is at most 1 MiB of UTF-8
(-f FILE reads regular files only; -f - reads stdin).`;

export function run(p: Parsed): number {
  const src = readSource(p);
  const c = compileSource(src.text);
  printDiagnostics(c.diagnostics, src);
  if (!c.artifact || !c.lowered || !c.canonical) return 1;
  // A report for people: names and strings from the config are never printed raw.
  out(escapeUnsafe(`${c.canonical}\n\nstate:\n${describeState(c.lowered).join("\n")}\n`));
  return 0;
}
