/**
 * Build-time code generation (node-only, ts-morph): a config → a standalone TypeScript module
 * that needs only optc's runtime entry. Kernels are real functions (no eval), the artifact a
 * typed constant, and the export a typed factory returning the same Run as compile().init().
 */
import { error, type Diagnostic } from "../../dsl/diagnostic.js";
import { escapeUnsafe, isUnsafeChar } from "../../dsl/format.js";
import { guardedKernelKey, isTarget, TARGETS, type CompiledStep, type Target } from "../../format/artifact.js";
import { describePlan } from "../describe.js";
import { compileSource } from "../pipeline.js";
import { OPTC_VERSION } from "../version.js";
import { jsString, toSource } from "./to_source.js";
import { loadTsMorph, type TsMorphModule } from "./ts_morph.js";

/** The targets a module can be written for: every target. */
export type ModuleTarget = Target;

export interface ModuleOptions {
  target?: ModuleTarget;
  /** Name of the exported factory (also the default export). */
  name?: string;
  /** Where the runtime is imported from. */
  runtimeImport?: string;
  /** "ts" (default) or "js" (types stripped, for bundlers that load `.opt` files). */
  lang?: "ts" | "js";
}

export interface ModuleResult {
  code?: string;
  diagnostics: Diagnostic[];
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Longest --name accepted (an identifier, not a paragraph). */
const MAX_NAME = 200;

/**
 * Names the factory may not take. ES2022's reserved words, the strict-mode ones (modules are
 * strict), the names strict code cannot bind, and the value properties of the global object.
 */
export const RESERVED_NAMES: readonly string[] = [
  // ES2022 reserved words
  "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return",
  "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
  // reserved in strict mode code (every module is)
  "implements", "interface", "let", "package", "private", "protected", "public", "static",
  // not bindable in strict mode, and the global object's value properties
  "eval", "arguments", "undefined", "NaN", "Infinity", "globalThis",
];

/** Names the generated modules declare or import at top level (a factory of that name would collide). */
export const MODULE_NAMES: readonly string[] = [
  "artifact", "kernels", "params", "options",
  "load", "prebuiltKernels", "CompiledStep", "InitOptions", "KernelFactory", "Run", "TensorInit",
  "GpuRun", "GpuInitOptions", "GpuJsRun", "GpuJsInitOptions", "loadWasm",
];

/** The standard built-ins (the kernels call Math.fround and Math.sqrt, the runtime Float32Array...): a factory must not shadow them. */
export const GLOBAL_NAMES: readonly string[] = [
  "Object", "Function", "Array", "Number", "Boolean", "String", "Symbol", "BigInt", "Math", "JSON", "Reflect", "Proxy", "Intl",
  "Atomics", "Date", "RegExp", "Promise", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry",
  "Error", "AggregateError", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError",
  "ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
  "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
  "parseInt", "parseFloat", "isNaN", "isFinite", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent",
  "escape", "unescape", "console", "queueMicrotask", "structuredClone", "setTimeout", "clearTimeout",
];

const RESERVED = new Set(RESERVED_NAMES);
const OWN = new Set(MODULE_NAMES);
const GLOBALS = new Set(GLOBAL_NAMES);

/** E402 unless `name` can be the exported factory of a generated module (a module with it type-checks). */
export function checkModuleName(name: string): Diagnostic | undefined {
  const shown = escapeUnsafe(name.length > 40 ? `${name.slice(0, 40)}…` : name);
  const hint = "choose another name, e.g. createOptimizer or createAdam";
  if (name.length > MAX_NAME) return error("E402", `the function name '${shown}' is longer than ${MAX_NAME} characters`, undefined, hint);
  if (!NAME.test(name)) return error("E402", `'${shown}' is not a valid function name`, undefined, "use letters, digits, _ or $, not starting with a digit");
  if (RESERVED.has(name)) return error("E402", `'${name}' is a reserved word in JavaScript and cannot name a function`, undefined, hint);
  if (OWN.has(name)) return error("E402", `'${name}' is already a name in the generated module`, undefined, `${hint}; the module itself declares or imports ${MODULE_NAMES.join(", ")}`);
  if (GLOBALS.has(name)) return error("E402", `'${name}' would shadow the JavaScript global of that name, which generated code uses`, undefined, hint);
  return undefined;
}

/** E403 unless `spec` can be written as the runtime's module specifier (printable, one line). */
function checkRuntimeImport(spec: string): Diagnostic | undefined {
  if (spec.length === 0 || spec.length > 1000 || [...spec].some(isUnsafeChar) || /[\n\r"'`\\]/.test(spec)) {
    return error("E403", `'${escapeUnsafe(spec.slice(0, 60))}' is not a module specifier optc can import the runtime from`, undefined, "give a package name or a path, e.g. optc/runtime or ./vendor/optc-runtime.js");
  }
  return undefined;
}

export function compileToModule(source: string, options: ModuleOptions = {}): ModuleResult {
  const target = options.target ?? "js";
  const name = options.name ?? "createOptimizer";
  if (!isTarget(target)) {
    return { diagnostics: [error("E401", `unknown target '${String(target)}'`, undefined, `targets: ${TARGETS.join(", ")}`)] };
  }
  const badName = checkModuleName(name);
  if (badName) return { diagnostics: [badName] };
  const badImport = checkRuntimeImport(options.runtimeImport ?? "optc/runtime");
  if (badImport) return { diagnostics: [badImport] };
  const tsMorph = loadTsMorph();
  if (!("Project" in tsMorph)) return { diagnostics: [tsMorph] };
  const c = compileSource(source, target);
  if (!c.artifact || !c.plans) return { diagnostics: c.diagnostics };
  const plan = c.plans.flatMap(describePlan);
  const runtimeImport = options.runtimeImport ?? "optc/runtime";
  const code = target === "js" ? render(tsMorph, c.artifact, plan, name, runtimeImport) : target === "wasm" ? renderWasmModule(tsMorph, c.artifact, plan, name, runtimeImport) : renderGpuModule(tsMorph, c.artifact, plan, name, runtimeImport);
  return { code: options.lang === "js" ? stripTypes(tsMorph, code) : code, diagnostics: c.diagnostics };
}

/** Text for a line comment: one line, control and bidirectional characters escaped (`\u{202e}`). */
function commentLine(text: string): string {
  return escapeUnsafe(text.replace(/[\r\n\u2028\u2029]/g, " "));
}

/** Text for a doc comment: a comment line that cannot end the comment. */
function docText(text: string): string {
  return commentLine(text).replace(/\*\//g, "* /");
}

function render({ Project, IndentationText, QuoteKind, VariableDeclarationKind, ts }: TsMorphModule, artifact: CompiledStep, plan: string[], name: string, runtimeImport: string): string {
  const project = new Project({ useInMemoryFileSystem: true, manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Double } });
  const file = project.createSourceFile("optimizer.ts", "", { overwrite: true });
  file.addImportDeclaration({
    moduleSpecifier: runtimeImport,
    namedImports: ["load", "prebuiltKernels", { name: "CompiledStep", isTypeOnly: true }, { name: "InitOptions", isTypeOnly: true }, { name: "KernelFactory", isTypeOnly: true }, { name: "Run", isTypeOnly: true }, { name: "TensorInit", isTypeOnly: true }],
  });
  // The artifact without source text: kernels are the functions below.
  const stripped: CompiledStep = {
    ...artifact,
    phases: Object.fromEntries(Object.entries(artifact.phases).map(([k, p]) => [k, { ...p, passes: p.passes.map((pass) => ({ kernels: pass.kernels.map((kernel) => ({ ...kernel, code: {} })) })) }])),
  };
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ["The compiled optimizer: state layout, host program and kernel plan."],
    declarations: [{ name: "artifact", type: "CompiledStep", initializer: toSource(stripped) }],
  });
  // Each kernel twice: plain (init's validate: false) and guarded (the default: finiteness flag and backups).
  const entry = (key: string, code: string | undefined) => `  ${jsString(key)}: ((): KernelFactory => {\n${(code ?? "").split("\n").map((l) => `    ${l}`).join("\n")}\n  })(),`;
  const kernels = Object.values(artifact.phases).flatMap((p) => p.passes.flatMap((pass) => pass.kernels.flatMap((k) => [entry(k.kernel.name, k.code.js), entry(guardedKernelKey(k.kernel.name), k.code.jsGuarded)])));
  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    docs: ["One factory per pass: binds a loop to the run's arenas (a closure over its buffers)."],
    declarations: [{ name: "kernels", type: "Record<string, KernelFactory>", initializer: `{\n${kernels.join("\n")}\n}` }],
  });
  file.addFunction({
    isExported: true,
    name,
    docs: [`Creates a run of \`${docText(artifact.config)}\` over the given tensors: the same object as compile(config).init(params).`],
    parameters: [
      { name: "params", type: "Record<string, TensorInit>" },
      { name: "options", type: "InitOptions", initializer: "{}" },
    ],
    returnType: "Promise<Run>",
    statements: "return load(artifact, prebuiltKernels(kernels)).init(params, options);",
  });
  file.addExportAssignment({ isExportEquals: false, expression: name });
  file.formatText({ indentSize: 2, convertTabsToSpaces: true, semicolons: ts.SemicolonPreference.Insert });
  return `${header(artifact, plan).join("\n")}\n${file.getFullText()}`;
}

/** GPU variants of the module: the run class, its options, and what the artifact's code is. */
const GPU_MODULES = {
  webgpu: { run: "GpuRun", options: "GpuInitOptions", optional: false, code: "one WGSL compute shader per pass", how: 'compile(config, { target: "webgpu" }).init(params, { device })', where: "on the caller's device" },
  gpujs: { run: "GpuJsRun", options: "GpuJsInitOptions", optional: true, code: "gpu.js kernel sources per pass", how: 'compile(config, { target: "gpujs" }).init(params, { gpu })', where: "in gpu.js textures" },
} as const;

/**
 * The GPU modules: kernel sources stay string constants inside the artifact (the GPU driver or
 * gpu.js compiles them); GpuRun or GpuJsRun runs them.
 */
function renderGpuModule({ Project, IndentationText, QuoteKind, VariableDeclarationKind, ts }: TsMorphModule, artifact: CompiledStep, plan: string[], name: string, runtimeImport: string): string {
  const m = GPU_MODULES[artifact.target as "webgpu" | "gpujs"];
  const project = new Project({ useInMemoryFileSystem: true, manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Double } });
  const file = project.createSourceFile("optimizer.ts", "", { overwrite: true });
  file.addImportDeclaration({
    moduleSpecifier: runtimeImport,
    namedImports: [m.run, { name: "CompiledStep", isTypeOnly: true }, { name: m.options, isTypeOnly: true }, { name: "TensorInit", isTypeOnly: true }],
  });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [`The compiled optimizer: state layout, host program and ${m.code}.`],
    declarations: [{ name: "artifact", type: "CompiledStep", initializer: toSource(artifact) }],
  });
  file.addFunction({
    isExported: true,
    name,
    docs: [`Creates a GPU run of \`${docText(artifact.config)}\` ${m.where}: the same object as ${m.how}.`],
    parameters: [
      { name: "params", type: "Record<string, TensorInit>" },
      { name: "options", type: m.options, ...(m.optional ? { initializer: "{}" } : {}) },
    ],
    returnType: `Promise<${m.run}>`,
    statements: `return ${m.run}.create(artifact, params, options);`,
  });
  file.addExportAssignment({ isExportEquals: false, expression: name });
  file.formatText({ indentSize: 2, convertTabsToSpaces: true, semicolons: ts.SemicolonPreference.Insert });
  return `${header(artifact, plan).join("\n")}\n${file.getFullText()}`;
}

/**
 * The wasm module: the artifact carries each kernel's WebAssembly bytes (base64 string
 * constants; nothing is fetched at run time) and loadWasm() instantiates them. A page with a
 * Content-Security-Policy must allow 'wasm-unsafe-eval' (compiling wasm bytes), not 'unsafe-eval'.
 */
function renderWasmModule({ Project, IndentationText, QuoteKind, VariableDeclarationKind, ts }: TsMorphModule, artifact: CompiledStep, plan: string[], name: string, runtimeImport: string): string {
  const project = new Project({ useInMemoryFileSystem: true, manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Double } });
  const file = project.createSourceFile("optimizer.ts", "", { overwrite: true });
  file.addImportDeclaration({
    moduleSpecifier: runtimeImport,
    namedImports: ["loadWasm", { name: "CompiledStep", isTypeOnly: true }, { name: "InitOptions", isTypeOnly: true }, { name: "Run", isTypeOnly: true }, { name: "TensorInit", isTypeOnly: true }],
  });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ["The compiled optimizer: state layout, host program and one WebAssembly module per pass (base64; CSP: 'wasm-unsafe-eval')."],
    declarations: [{ name: "artifact", type: "CompiledStep", initializer: toSource(artifact) }],
  });
  file.addFunction({
    isExported: true,
    name,
    docs: [`Creates a wasm run of \`${docText(artifact.config)}\` over the given tensors: the same object as compile(config, { target: "wasm" }).init(params).`],
    parameters: [
      { name: "params", type: "Record<string, TensorInit>" },
      { name: "options", type: "InitOptions", initializer: "{}" },
    ],
    returnType: "Promise<Run>",
    statements: "return loadWasm(artifact).init(params, options);",
  });
  file.addExportAssignment({ isExportEquals: false, expression: name });
  file.formatText({ indentSize: 2, convertTabsToSpaces: true, semicolons: ts.SemicolonPreference.Insert });
  return `${header(artifact, plan).join("\n")}\n${file.getFullText()}`;
}

function header(artifact: CompiledStep, plan: string[]): string[] {
  return [
    `// Generated by optc ${OPTC_VERSION} (target ${artifact.target}); do not edit. Regenerate with \`optc compile\`.`,
    `// config: ${commentLine(jsString(artifact.config))}`,
    "// plan:",
    ...plan.map((l) => `//   ${commentLine(l)}`),
  ];
}

function stripTypes({ ts }: TsMorphModule, code: string): string {
  return ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false } }).outputText;
}
