/** optc/build: build-time code generation for build scripts and bundler plugins. */
export { compileToModule, type ModuleOptions, type ModuleResult, type ModuleTarget } from "./compiler/codegen/ts_module.js";
export { renderDiagnostics } from "./compiler/diagnostics.js";
