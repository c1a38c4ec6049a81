/**
 * optc's command line. Each command's module is imported only when it runs, so `optc check`
 * loads the compiler but not ts-morph, the WebGPU bindings or the demo's plotting stack.
 */
import { createRequire } from "node:module";
import { missingPeer, OptcError } from "../compiler/diagnostics.js";
import { OPTC_VERSION } from "../compiler/version.js";
import { OptcRuntimeError } from "../runtime/errors.js";
import { escapeUnsafe } from "../dsl/format.js";
import { parseArgs, show, UsageError, type OptionSpec, type Parsed } from "./args.js";
import { guardOutput, isBrokenPipe, out, OutputClosed } from "./io.js";

interface CommandModule {
  help: string;
  run(p: Parsed): number | Promise<number>;
}

interface Command {
  options: Record<string, OptionSpec>;
  load(): Promise<CommandModule>;
  /** Packages outside optc's dependencies that the command uses (the demo's): missing ones are P101. */
  needs?: string[];
}

const FILE: Record<string, OptionSpec> = { file: { value: true, short: "f" }, help: { short: "h" } };

const COMMANDS: Record<string, Command> = {
  check: { options: FILE, load: () => import("./commands/check.js") },
  fmt: { options: { ...FILE, write: { short: "w" }, check: {} }, load: () => import("./commands/fmt.js") },
  explain: { options: { ...FILE, target: { value: true }, "no-code": {}, stage: { value: true } }, load: () => import("./commands/explain.js") },
  trace: {
    options: { ...FILE, problem: { value: true }, x0: { value: true }, target: { value: true }, steps: { value: true }, every: { value: true }, backend: { value: true } },
    load: () => import("./commands/trace.js"),
  },
  compile: {
    options: { ...FILE, target: { value: true }, out: { value: true, short: "o" }, name: { value: true }, "runtime-import": { value: true }, check: {} },
    load: () => import("./commands/compile.js"),
  },
  golden: {
    options: { ...FILE, out: { value: true, short: "o" }, backends: { value: true }, problem: { value: true }, x0: { value: true }, target: { value: true }, steps: { value: true }, config: { value: true } },
    load: () => import("./commands/golden.js"),
  },
  docs: { options: { write: { value: true }, check: { value: true }, help: { short: "h" } }, load: () => import("./commands/docs.js") },
  demo: {
    options: { configs: { value: true }, backends: { value: true }, epochs: { value: true }, seed: { value: true }, hidden: { value: true }, batch: { value: true }, out: { value: true }, quiet: {}, help: { short: "h" } },
    load: () => import("./commands/demo.js"),
    needs: ["mnist", "@tensorflow/tfjs-core", "@tensorflow/tfjs-layers", "vega", "vega-lite", "@resvg/resvg-js", "dejavu-fonts-ttf"],
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
  golden   record a golden trajectory, or check every backend against one
  docs     print the language reference
  demo     train a tfjs model on MNIST with tfjs's adam and optc's optimizers (npm start)

Run optc <command> --help for a command's options.`;

/** Writes to stderr, never raw control characters (messages quote what was typed). */
function err(text: string): void {
  process.stderr.write(escapeUnsafe(text));
}

export async function main(argv: string[]): Promise<number> {
  guardOutput();
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
      out(USAGE + "\n");
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === "--version" || cmd === "-V") {
      out(`${OPTC_VERSION}\n`);
      return 0;
    }
  } catch (e) {
    return outputClosed(e);
  }
  const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!command) {
    err(`optc: unknown command '${show(cmd)}'\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const parsed = parseArgs(rest, command.options);
    const module = await loadCommand(cmd, command);
    if (parsed.options.help) {
      out(module.help + "\n");
      return 0;
    }
    if (parsed.errors.length > 0) {
      err(`optc ${cmd}: ${parsed.errors.join("; ")}\n\n${module.help}\n`);
      return 2;
    }
    return await module.run(parsed);
  } catch (e) {
    if (e instanceof OutputClosed) return outputClosed(e);
    if (e instanceof UsageError) {
      err(`optc ${cmd}: ${e.message}\n(run optc ${cmd} --help)\n`);
      return 2;
    }
    if (e instanceof OptcError || e instanceof OptcRuntimeError) {
      err(e.message + "\n");
      return 1;
    }
    err(`optc ${cmd}: internal error: ${e instanceof Error ? e.message : String(e)}\n(please report this with the command you ran${process.env.OPTC_DEBUG ? "" : "; set OPTC_DEBUG=1 for a stack trace"})\n`);
    if (process.env.OPTC_DEBUG && e instanceof Error) err(`${e.stack}\n`);
    return 70;
  }
}

/** A closed stdout ends the command: quietly (exit 0) when its reader went away, else exit 2. */
function outputClosed(e: unknown): number {
  if (!(e instanceof OutputClosed)) throw e;
  if (isBrokenPipe(e)) return 0;
  err(`optc: ${e.message}\n`);
  return 2;
}

/** A package is missing when it cannot be found at all (one that hides its package.json is there). */
function isMissing(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND";
  }
}

/** A command whose packages are missing (the demo's, in an installed optc) is a P101 diagnostic. */
async function loadCommand(name: string, command: Command): Promise<CommandModule> {
  const missing = command.needs?.find(isMissing);
  if (missing) {
    const install = `npm i -D ${command.needs!.join(" ")}, or run it from a clone of optc's repository (npm start)`;
    throw new OptcError([missingPeer(missing, `optc ${name}`, install)], "");
  }
  return command.load();
}
