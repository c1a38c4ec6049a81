/** optc's command line: check, fmt, explain, trace, docs, demo. */
import { OptcError } from "../compiler/diagnostics.js";
import { OptcRuntimeError } from "../runtime/errors.js";
import { parseArgs, type OptionSpec } from "./args.js";
import { checkHelp, runCheck } from "./commands/check.js";
import { compileHelp, runCompile } from "./commands/compile.js";
import { demoHelp, runDemo } from "./commands/demo.js";
import { docsHelp, runDocs } from "./commands/docs.js";
import { explainHelp, runExplain } from "./commands/explain.js";
import { fmtHelp, runFmt } from "./commands/fmt.js";
import { runTrace, traceHelp } from "./commands/trace.js";
import { UsageError } from "./io.js";
import { OPTC_VERSION } from "../compiler/version.js";

const FILE: Record<string, OptionSpec> = { file: { value: true, short: "f" }, help: { short: "h" } };

const COMMANDS: Record<string, { help: string; options: Record<string, OptionSpec>; run: (p: ReturnType<typeof parseArgs>) => number | Promise<number> }> = {
  check: { help: checkHelp, options: FILE, run: runCheck },
  fmt: { help: fmtHelp, options: { ...FILE, write: { short: "w" }, check: {} }, run: runFmt },
  explain: { help: explainHelp, options: { ...FILE, target: { value: true }, "no-code": {} }, run: runExplain },
  trace: {
    help: traceHelp,
    options: { ...FILE, problem: { value: true }, x0: { value: true }, target: { value: true }, steps: { value: true }, every: { value: true }, backend: { value: true } },
    run: runTrace,
  },
  compile: {
    help: compileHelp,
    options: { ...FILE, target: { value: true }, out: { value: true, short: "o" }, name: { value: true }, "runtime-import": { value: true }, check: {} },
    run: runCompile,
  },
  docs: { help: docsHelp, options: { write: { value: true }, check: { value: true }, help: { short: "h" } }, run: runDocs },
  demo: {
    help: demoHelp,
    options: { configs: { value: true }, backends: { value: true }, epochs: { value: true }, seed: { value: true }, hidden: { value: true }, batch: { value: true }, out: { value: true }, quiet: {}, help: { short: "h" } },
    run: runDemo,
  },
};

export const USAGE = `optc ${OPTC_VERSION}: the optimizer compiler (optax's optimizers, SAM included, as fused kernels)

usage: optc <command> [options]

commands:
  check    check a config; print its canonical form and the state it keeps
  fmt      print a config in canonical layout
  explain  show the typed tree, state layout, passes, bytes moved and generated code
  trace    run a config on a toy problem, one JSON line per step
  compile  write a standalone TypeScript module (build time: no parser, no eval)
  docs     print the language reference
  demo     train a small model with several optimizers (npm start)

Run optc <command> --help for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    process.stdout.write(USAGE + "\n");
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === "--version" || cmd === "-V") {
    process.stdout.write(`${OPTC_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    process.stderr.write(`optc: unknown command '${cmd}'\n\n${USAGE}\n`);
    return 2;
  }
  const parsed = parseArgs(rest, command.options);
  if (parsed.options.help) {
    process.stdout.write(command.help + "\n");
    return 0;
  }
  if (parsed.errors.length > 0) {
    process.stderr.write(`optc ${cmd}: ${parsed.errors.join("; ")}\n\n${command.help}\n`);
    return 2;
  }
  try {
    return await command.run(parsed);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`optc ${cmd}: ${e.message}\n(run optc ${cmd} --help)\n`);
      return 2;
    }
    if (e instanceof OptcError) {
      process.stderr.write(e.message + "\n");
      return 1;
    }
    if (e instanceof OptcRuntimeError) {
      process.stderr.write(e.message + "\n");
      return 1;
    }
    process.stderr.write(`optc ${cmd}: internal error: ${e instanceof Error ? e.message : String(e)}\n(please report this with the command you ran${process.env.OPTC_DEBUG ? "" : "; set OPTC_DEBUG=1 for a stack trace"})\n`);
    if (process.env.OPTC_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 70;
  }
}
