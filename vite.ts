/**
 * optc/vite: `import createOpt from "./train.opt"` compiles the optimizer at build time.
 * Pick the target per import (`./train.opt?target=js`) or for all imports in the options.
 * Diagnostics become Vite errors pointing at the .opt file, line and column.
 */
import { readFileSync } from "node:fs";
import type { Plugin } from "vite";
import { compileToModule, type ModuleTarget } from "./compiler/codegen/ts_module.js";
import { positionOf, renderDiagnostics } from "./compiler/diagnostics.js";

export interface OptcPluginOptions {
  target?: ModuleTarget;
  /** Where generated modules import the runtime from (default "optc/runtime"). */
  runtimeImport?: string;
}

export function optc(options: OptcPluginOptions = {}): Plugin {
  return {
    name: "optc",
    enforce: "pre",
    load(id) {
      const [file, query = ""] = id.split("?", 2);
      if (!file.endsWith(".opt")) return null;
      const target = (new URLSearchParams(query).get("target") ?? options.target ?? "js") as ModuleTarget;
      const source = readFileSync(file, "utf8");
      this.addWatchFile(file);
      const r = compileToModule(source, { target, runtimeImport: options.runtimeImport, lang: "js" });
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      if (r.code === undefined || errors.length > 0) {
        const first = errors[0] ?? r.diagnostics[0];
        const pos = positionOf(source, first?.span?.start ?? 0);
        this.error({ message: `optc: ${file}\n${renderDiagnostics(r.diagnostics, source, file)}`, id: file, loc: { file, line: pos.line, column: pos.column - 1 } });
      }
      for (const w of r.diagnostics.filter((d) => d.severity === "warning")) this.warn(renderDiagnostics([w], source, file));
      return r.code;
    },
  };
}

export default optc;
