import { describeState } from "../../compiler/describe.js";
import { compileSource } from "../../compiler/pipeline.js";
import type { Parsed } from "../args.js";
import { printDiagnostics, readSource } from "../io.js";

export const help = `optc check '<config>' | -f file.opt

Checks a config. On success prints its canonical form and the state the optimizer keeps,
and exits 0; otherwise prints every diagnostic and exits 1.`;

export function run(p: Parsed): number {
  const src = readSource(p);
  const c = compileSource(src.text);
  printDiagnostics(c.diagnostics, src);
  if (!c.artifact || !c.lowered || !c.canonical) return 1;
  process.stdout.write(`${c.canonical}\n\nstate:\n${describeState(c.lowered).join("\n")}\n`);
  return 0;
}
