/**
 * The CLI under hostile input: every refusal is a diagnostic or a usage error with a definite exit
 * code, never a stack trace, never an internal error, never a hang. Most cases run main() in
 * process (fast); the few that need a real process (pipes, stdin) spawn bin/optc.js.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import { MODULE_NAMES, RESERVED_NAMES } from "../../compiler/codegen/ts_module.js";

const BIN = new URL("../../bin/optc.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "optc-hostile-"));

interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs main() in this process with stdout and stderr captured. */
async function optc(...argv: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => out.push(String(s)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => err.push(String(s)) > 0) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
  return { code, out: out.join(""), err: err.join("") };
}

/** A refusal: the exit code, a fragment of the message, and nothing that looks like a crash. */
function expectRefused(r: Result, code: number, fragment: string): void {
  expect(r.code, r.err).toBe(code);
  expect(r.err).toContain(fragment);
  expect(r.err).not.toContain("internal error");
  expect(r.err).not.toMatch(/\n\s+at .*:\d+:\d+/);
}

const fifo = join(dir, "pipe.opt");
const plainFile = join(dir, "plain.txt");

beforeAll(() => {
  writeFileSync(plainFile, "not a directory\n");
  spawnSync("mkfifo", [fifo]);
});
afterAll(() => {
  // Every temporary file of an atomic write was renamed or removed.
  const leftovers = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? leftovers(join(d, e.name)) : e.name.endsWith(".tmp") ? [e.name] : []));
  expect(leftovers(dir)).toEqual([]);
});

describe("stdout closed by its reader (EPIPE) is not an error", () => {
  it("optc trace ... | head -1 exits 0 quietly, without running every step", () => {
    const t0 = Date.now();
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${BIN}" trace 'adam(0.01)' --steps 100000000 | head -1; echo "rc=\${PIPESTATUS[0]}"`], { encoding: "utf8", timeout: 20_000 });
    expect(r.stdout.split("\n")[0]).toMatch(/^\{"step":1,/);
    expect(r.stdout).toContain("rc=0");
    expect(r.stderr).toBe("");
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
  it("explain and docs, whose output is larger than a pipe's buffer, too", () => {
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${BIN}" explain 'lamb(1e-3)' --target webgpu | head -c 10; echo; echo "rc=\${PIPESTATUS[0]}"`], { encoding: "utf8", timeout: 20_000 });
    expect(r.stdout).toContain("rc=0");
    expect(r.stderr).toBe("");
  });
});

describe("configs from stdin and special files are read to a bound", () => {
  it("-f - with /dev/zero as stdin stops after 1 MiB: exit 2", () => {
    const zero = openSync("/dev/zero", "r");
    try {
      const r = spawnSync(process.execPath, [BIN, "check", "-f", "-"], { stdio: [zero, "pipe", "pipe"], encoding: "utf8", timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("more than 1 MiB");
    } finally {
      closeSync(zero);
    }
  });
  it("-f /dev/zero, a pipe, a directory, a missing file: exit 2 with the path", async () => {
    expectRefused(await optc("check", "-f", "/dev/zero"), 2, "/dev/zero: it is a character device, not a regular file");
    expectRefused(await optc("check", "-f", fifo), 2, `${fifo}: it is a pipe`);
    expectRefused(await optc("check", "-f", dir), 2, `${dir}: it is a directory`);
    expectRefused(await optc("fmt", "-f", join(dir, "missing.opt")), 2, `${join(dir, "missing.opt")}: no such file or directory (ENOENT)`);
    expectRefused(await optc("check", "-f", `${plainFile}/x.opt`), 2, `${plainFile}/x.opt`);
    expectRefused(await optc("golden", "check", fifo), 1, "G101");
  });
  it("a file over 1 MiB, or not UTF-8, is refused", async () => {
    const big = join(dir, "big.opt");
    writeFileSync(big, `sgd(0.1)${" ".repeat(1 << 20)}`);
    expectRefused(await optc("check", "-f", big), 2, "more than the 1 MiB optc reads");
    const latin1 = join(dir, "latin1.opt");
    writeFileSync(latin1, Buffer.from([0x23, 0x20, 0xe9, 0x0a, 0x73, 0x67, 0x64, 0x28, 0x31, 0x29, 0x0a]));
    expectRefused(await optc("fmt", "-f", latin1, "--write"), 2, "is not UTF-8 text");
    expect(readFileSync(latin1)[2]).toBe(0xe9);
  });
});

describe("writing files: atomic, regular files only, every failure a usage error naming the path", () => {
  const cfg = "sgd(0.1)";
  it("--out a directory, a device, a pipe, a path under a file or in /proc: exit 2", async () => {
    expectRefused(await optc("compile", cfg, "--out", dir), 2, `cannot write ${dir}: it is a directory`);
    expectRefused(await optc("compile", cfg, "--out", "/dev/full"), 2, "cannot write /dev/full: it is a character device, not a regular file");
    expectRefused(await optc("compile", cfg, "--out", "/dev/full", "--check"), 2, "/dev/full: it is a character device");
    expectRefused(await optc("compile", cfg, "--out", fifo), 2, "it is a pipe");
    expectRefused(await optc("compile", cfg, "--out", `${plainFile}/m.ts`), 2, `cannot write ${plainFile}/m.ts`);
    expectRefused(await optc("compile", cfg, "--out", `${plainFile}/a/b/m.ts`), 2, `cannot write ${plainFile}/a/b/m.ts`);
    expectRefused(await optc("compile", cfg, "--out", "/proc/optc-x/y.ts"), 2, "cannot write /proc/optc-x/y.ts");
    expectRefused(await optc("golden", "record", cfg, "--out", dir), 2, `cannot write ${dir}: it is a directory`);
    expectRefused(await optc("golden", "record", cfg, "--out", `${plainFile}/g.json`), 2, `cannot write ${plainFile}/g.json`);
    expectRefused(await optc("docs", "--write", join(dir, "missing.md")), 2, `cannot read ${join(dir, "missing.md")}: no such file or directory`);
    expectRefused(await optc("docs", "--check", dir), 2, "it is a directory");
  });
  it("a read-only directory is a usage error too", async () => {
    if (process.getuid?.() === 0) return; // root writes anywhere
    const ro = join(dir, "ro");
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    expectRefused(await optc("compile", cfg, "--out", join(ro, "m.ts")), 2, "permission denied (EACCES)");
    chmodSync(ro, 0o700);
  });
  it("writes the module atomically into new directories, keeps a file's mode and a link, and --check compares exactly", async () => {
    const printed = (await optc("compile", cfg)).out;
    const file = join(dir, "new/deeper/m.ts");
    expect((await optc("compile", cfg, "--out", file)).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(printed);
    expect((await optc("compile", cfg, "--out", file, "--check")).code).toBe(0);
    chmodSync(file, 0o640);
    writeFileSync(file, `${printed}// edited\n`);
    const stale = await optc("compile", cfg, "--out", file, "--check");
    expect(stale.code).toBe(1);
    expect(stale.err).toContain("is stale");
    expect((await optc("compile", cfg, "--out", file)).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(printed);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    const link = join(dir, "link.ts");
    symlinkSync(file, link);
    writeFileSync(file, "stale\n");
    expect((await optc("compile", cfg, "--out", link)).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(printed);
    const missing = await optc("compile", cfg, "--out", join(dir, "absent.ts"), "--check");
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("is missing");
    expect(existsSync(join(dir, "absent.ts"))).toBe(false);
  });
});

describe("numbers in options are strict", () => {
  it.each([
    ["--steps", "0x2"],
    ["--steps", "1e1"],
    ["--steps", " 3"],
    ["--steps", "3 "],
    ["--steps", "2.0"],
    ["--steps", "0"],
    ["--steps", "-1"],
    ["--steps", "99999999999999999999"],
    ["--every", "1e0"],
    ["--every", "0b1"],
    ["--x0", "1,,2"],
    ["--x0", "1,2,"],
    ["--x0", ",1"],
    ["--x0", "0x10"],
    ["--x0", "1, 2"],
    ["--x0", "Infinity"],
    ["--x0", "1e999"],
    ["--x0", ""],
    ["--target", "1,NaN,1"],
  ])("%s=%j is exit 2", async (opt, value) => {
    expectRefused(await optc("trace", "sgd(0.1)", `${opt}=${value}`), 2, opt);
  });
  it("--target needs one value per param, and only for the quadratic", async () => {
    expectRefused(await optc("trace", "sgd(0.1)", "--x0=1,2,3,4", "--target=1"), 2, "--target has 1 value but there are 4 params");
    expectRefused(await optc("trace", "sgd(0.1)", "--target=1,2"), 2, "--target has 2 values but there are 3 params");
    expectRefused(await optc("trace", "sgd(0.1)", "--problem", "sphere", "--target=1,2,3"), 2, "--target is for --problem quadratic");
    expectRefused(await optc("golden", "record", "sgd(0.1)", "--out", join(dir, "g.json"), "--x0=1,2", "--target=1"), 2, "--target has 1 value");
    const ok = await optc("trace", "sgd(0.1)", "--x0=-1,10,1,.5", "--target=1,-1,1,+2e0", "--steps", "2");
    expect(ok.code).toBe(0);
    expect(ok.out.trim().split("\n")).toHaveLength(2);
  });
});

describe("--name: reserved words and the module's own names are E402", () => {
  it.each(["default", "class", "eval", "arguments", "await", "yield", "enum", "implements", "undefined", "NaN", "Infinity", "artifact", "kernels", "load", "prebuiltKernels", "GpuRun", "GpuJsRun", "Math", "1abc", "a-b", "x".repeat(300)])("%s", async (name) => {
    const r = await optc("compile", "sgd(0.1)", "--name", name);
    expectRefused(r, 1, "error[E402]");
    expect(r.err).toContain("= hint:");
    expect(r.out).toBe("");
  });
  it("the lists are complete: every ES2022 and strict-mode reserved word, and the module's names", () => {
    const es2022 = "await break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield";
    const strict = "implements interface let package private protected public static";
    for (const w of `${es2022} ${strict} eval arguments undefined NaN Infinity`.split(" ")) expect(RESERVED_NAMES).toContain(w);
    for (const w of ["artifact", "kernels", "load", "prebuiltKernels", "CompiledStep", "InitOptions", "KernelFactory", "Run", "TensorInit", "GpuRun", "GpuInitOptions", "GpuJsRun", "GpuJsInitOptions"]) expect(MODULE_NAMES).toContain(w);
  });
  it("ordinary names, contextual keywords included, are accepted", async () => {
    for (const name of ["createSam", "$opt", "_", "type", "async", "of", "get"]) {
      const r = await optc("compile", "sgd(0.1)", "--name", name);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`export function ${name}(`);
    }
  });
  it("a --runtime-import that is not one printable line is E403", async () => {
    expectRefused(await optc("compile", "sgd(0.1)", "--runtime-import", 'x"; import "evil'), 1, "error[E403]");
    expectRefused(await optc("compile", "sgd(0.1)", "--runtime-import", "a\nb"), 1, "error[E403]");
  });
});

describe("fmt keeps comments", () => {
  it("--write formats a file with comments, --check then passes, and a second run changes nothing", async () => {
    const file = join(dir, "train.opt");
    const src = "# the schedule\nlr=cosine_decay_schedule(1e-3,10000) # decays\n// the optimizer\nadamw(lr,  # rate\n  weight_decay=1e-4,\n  # only weights\n  mask=['*', '!*.bias'])\n";
    writeFileSync(file, src);
    expect((await optc("fmt", "-f", file, "--check")).code).toBe(1);
    expect((await optc("fmt", "-f", file, "--write")).code).toBe(0);
    const once = readFileSync(file, "utf8");
    expect(once).toBe(
      "# the schedule\nlr = cosine_decay_schedule(0.001, 10000)  # decays\n// the optimizer\nadamw(\n    lr,  # rate\n    weight_decay=0.0001,\n    # only weights\n    mask=[\"*\", \"!*.bias\"],\n)\n",
    );
    expect((await optc("fmt", "-f", file, "--check")).code).toBe(0);
    expect((await optc("fmt", "-f", file, "--write")).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(once);
    expect((await optc("check", "-f", file)).code).toBe(0);
  });
  it("--write without a file is a usage error", async () => {
    expectRefused(await optc("fmt", "sgd(1)", "--write"), 2, "--write needs -f file");
  });
});

describe("terminal hygiene", () => {
  it("control characters and bidi overrides are escaped in diagnostics, carets under what is printed", async () => {
    const r = await optc("check", "sgd(0.1, \u001b[2J=1)");
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(/[\u001b\u202e]/);
    expect(r.err).toContain("1 | sgd(0.1, \\u{1b}[2J=1)\n  |          ^^^^^^");
    const b = await optc("check", 'adamw(1e-3, mask="\u202e*")\u202e');
    expect(b.err).not.toMatch(/[\u202e]/);
    expect(b.err).toContain("\\u{202e}");
  });
  it("the canonical form printed by check escapes them too (\\u{..} is a string escape of the language)", async () => {
    const r = await optc("check", 'adamw(1e-3, mask="a\u0007\u202eb")');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('mask="a\\u{7}\\u{202e}b"');
    expect(r.out).not.toMatch(/[\u0007\u202e]/);
  });
  it("file names and option values are escaped in usage errors", async () => {
    const r = await optc("check", "-f", join(dir, "a\u001b[31mb.opt"));
    expectRefused(r, 2, "a\\u{1b}[31mb.opt");
    expect(r.err).not.toContain("\u001b");
    expect((await optc("\u001b]0;x\u0007")).err).not.toMatch(/[\u001b\u0007]/);
  });
  it("an error inside a list points at the list, not at 1:1", async () => {
    const m = await optc("check", "lr = 0.1\nadamw(lr, mask=[1, 2])");
    expect(m.code).toBe(1);
    expect(m.err).toContain("--> config:2:16");
  });
});

describe("fuzzing main(): random command lines exit 0, 1 or 2 and never crash", () => {
  const commands = ["check", "fmt", "explain", "trace", "compile", "golden", "docs", "help", "--help", "--version", "-V", "frobnicate", "constructor", "__proto__", "toString", "hasOwnProperty", ""];
  const options = ["-f", "-h", "-o", "-w", "-x", "--", "--help", "--file", "--write", "--check", "--target", "--out", "--name", "--runtime-import", "--stage", "--no-code", "--problem", "--x0", "--target", "--steps", "--every", "--backend", "--backends", "--config", "--constructor", "--__proto__", "--toString", "--=", "--steps=1", "--x0=1,2", "--every=2", "--backend=interp", "record", "check"];
  const file = join(dir, "fuzz.opt");
  const values = [
    "sgd(0.1)", "adam(1e-3)", "sam(sgd(0.1), chain(normalize(), sgd(0.05)))", "adam(lr=1)", "", " ", "(", "[[[", "\u001b[2J", "\u202e", "😀", "0x10", "1e1", "1", "2", "-1", "1,2,3", "1,,2", "NaN",
    "js", "interp", "quadratic", "sphere", "rosenbrock", "ast", "ir", "plan", "kernels", "webgpu", "gpujs", "default", "createX", "class", "optc/runtime",
    file, dir, join(dir, "fuzz-out", "m.ts"), join(dir, "fuzz-out.json"), "/dev/null", "/dev/zero", fifo, join(dir, "nope.opt"), `${plainFile}/x`,
  ];
  it("a few hundred command lines", async () => {
    writeFileSync(file, "# fuzz\nsgd(0.1)\n");
    const configs = values.slice(0, 9);
    const token = fc.oneof(fc.constantFrom(...options), fc.constantFrom(...values), fc.string({ maxLength: 6 }));
    // Mostly shaped like real command lines (a command, a config, options with values), some pure noise.
    const own: Record<string, string[]> = {
      check: ["-f"],
      fmt: ["-f", "--check", "--write"],
      explain: ["--target", "--stage", "--no-code"],
      trace: ["--problem", "--x0", "--target", "--steps", "--every", "--backend"],
      compile: ["--target", "--out", "--name", "--runtime-import", "--check"],
      golden: ["--out", "--backends", "--problem", "--x0", "--target", "--steps", "--config"],
      docs: ["--write", "--check"],
    };
    const shaped = fc
      .constantFrom(...Object.keys(own))
      .chain((c) => fc.tuple(fc.constant(c), c === "golden" ? fc.constantFrom("record", "check") : fc.constant(""), fc.constantFrom(...configs), fc.array(fc.tuple(fc.constantFrom(...own[c]), fc.constantFrom(...values)), { maxLength: 3 })))
      .map(([c, sub, cfg, ps]) => [c, [...(sub ? [sub] : []), cfg, ...ps.flat()]] as [string, string[]]);
    const argv = fc.oneof(shaped, fc.tuple(fc.constantFrom(...commands), fc.array(token, { maxLength: 7 })));
    const seen = new Set<number>();
    const samples = fc.sample(argv, { numRuns: 500, seed: 7 });
    for (const [cmd, rest] of samples) {
      const args = [cmd, ...rest];
      // Stdin is this test's process, and the GPU backends start devices: leave them to other tests.
      if (args.includes("-") || ((args.includes("webgpu") || args.includes("gpujs")) && (cmd === "trace" || cmd === "golden"))) continue;
      const r = await optc(...args);
      seen.add(r.code);
      expect([0, 1, 2], `${JSON.stringify(args)}: ${r.err}`).toContain(r.code);
      expect(r.err, JSON.stringify(args)).not.toContain("internal error");
      expect(r.err).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(r.err + r.out).not.toMatch(/[\u001b\u202e]/);
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });
});
