/** Reading the config (argument, -f file, or -f - for stdin) and printing diagnostics. */
import { readFileSync } from "node:fs";
import { renderDiagnostics } from "../compiler/diagnostics.js";
import type { Diagnostic } from "../dsl/diagnostic.js";
import { UsageError, type Parsed } from "./args.js";

export interface Source {
  text: string;
  file: string;
}

export function readSource(p: Parsed): Source {
  const file = p.options.file;
  if (typeof file === "string") {
    if (p.positionals.length > 0) throw new UsageError("give the config either as an argument or with -f, not both");
    try {
      return { text: readFileSync(file === "-" ? 0 : file, "utf8"), file: file === "-" ? "<stdin>" : file };
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  if (p.positionals.length !== 1) throw new UsageError(p.positionals.length === 0 ? "missing the config, e.g. 'adam(1e-3)' or -f train.opt" : "give the config as one quoted argument");
  return { text: p.positionals[0], file: "config" };
}

export function printDiagnostics(diags: readonly Diagnostic[], src: Source): void {
  if (diags.length > 0) process.stderr.write(renderDiagnostics(diags, src.text, src.file) + "\n");
}

/** Params as the spec prints them: the shortest decimal that reads back as the same float32. */
export { shortestFloat32 as f32String } from "../targets/print_number.js";
