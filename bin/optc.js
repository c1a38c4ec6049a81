#!/usr/bin/env node
// The CLI entry. An installed optc runs the compiled CLI in dist/ (no TypeScript at run time);
// in a clone of the repository, where bin/cli.ts sits beside this file, it runs the sources
// through tsx (a dev dependency), so contributors never need a build step or a stale dist/.
import { existsSync } from "node:fs";

const sources = new URL("./cli.ts", import.meta.url);
let cli;
if (existsSync(sources)) {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(sources.href);
} else {
  cli = await import("../dist/bin/cli.js");
}
process.exitCode = await cli.main(process.argv.slice(2));
