/**
 * ts-morph, loaded on first use. It is an optional peer dependency: only build-time code
 * generation (`optc compile`, `optc/build`, `optc/vite`) needs it, and it brings TypeScript
 * (tens of MB), which a user of runtime configs should not have to install. ts-morph is
 * CommonJS, so `require` loads it synchronously and compileToModule stays synchronous.
 */
import { createRequire } from "node:module";
import type * as TsMorph from "ts-morph";
import type { Diagnostic } from "../../dsl/diagnostic.js";
import { missingPeer } from "../diagnostics.js";

export type TsMorphModule = typeof TsMorph;

let loaded: TsMorphModule | undefined;

/** ts-morph, or the diagnostic that names the package to install. */
export function loadTsMorph(): TsMorphModule | Diagnostic {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)("ts-morph") as TsMorphModule;
    return loaded;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw e;
    return missingPeer("ts-morph", "build-time code generation (optc compile, optc/build, optc/vite)", "npm i -D ts-morph (an optional peer dependency of optc)");
  }
}
