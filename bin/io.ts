/**
 * The CLI's contact with the world: reading the config (argument, -f file, or -f - for stdin),
 * reading and writing files, writing stdout, printing diagnostics.
 *
 * - Every file-system problem is a UsageError naming the path (exit 2), never an internal error.
 * - Configs are at most MAX_CONFIG_BYTES of UTF-8; only regular files are read (a device, pipe,
 *   socket or directory is refused after fstat, before any read), and stdin is read to at most
 *   one byte past the cap, so nothing is ever read forever.
 * - Files are written atomically: a temporary file in the same directory, renamed over the target.
 *   An existing target that is not a regular file (a directory, /dev/full, a pipe) is refused.
 * - stdout closed by the reader (`optc trace ... | head -1`, EPIPE) ends the command quietly.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { renderDiagnostics } from "../compiler/diagnostics.js";
import type { Diagnostic } from "../dsl/diagnostic.js";
import { escapeUnsafe } from "../dsl/format.js";
import { UsageError, type Parsed } from "./args.js";

/** The largest config optc reads (1 MiB): configs are a few lines. */
export const MAX_CONFIG_BYTES = 1 << 20;
/** The largest other text file the CLI reads (a README for optc docs). */
export const MAX_TEXT_BYTES = 16 << 20;

export interface Source {
  text: string;
  file: string;
}

/** A path as messages show it: control and bidirectional characters escaped. */
export function showPath(path: string): string {
  return escapeUnsafe(path.length > 300 ? `${path.slice(0, 300)}…` : path);
}

const ERRNO: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  EEXIST: "it already exists",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EIO: "input/output error",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the name is too long",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
  EBUSY: "the resource is busy",
  ETXTBSY: "the file is busy",
  EXDEV: "it is on another device",
  EBADF: "not an open file",
  EINVAL: "invalid argument",
  EAGAIN: "the resource is temporarily unavailable",
  ENXIO: "no such device or address",
  ENODEV: "no such device",
  ERR_INVALID_ARG_VALUE: "the path is not valid (it contains a NUL byte?)",
  ERR_INVALID_ARG_TYPE: "the path is not valid",
};

/** `no such file or directory (ENOENT)` for an fs error; the message for anything else. */
export function describeError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return ERRNO[code] ? `${ERRNO[code]} (${code})` : code;
  return e instanceof Error ? e.message : String(e);
}

function fsError(verb: string, path: string, e: unknown): UsageError {
  return e instanceof UsageError ? e : new UsageError(`cannot ${verb} ${showPath(path)}: ${describeError(e)}`);
}

function kindOf(st: Stats): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a pipe";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Reads fd to its end or to cap + 1 bytes, whichever comes first (a non-blocking fd is polled). */
function readBounded(fd: number, cap: number): Buffer {
  const buf = Buffer.alloc(Math.min(cap + 1, 64 * 1024));
  const chunks: Buffer[] = [];
  let total = 0;
  while (total <= cap) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, Math.min(buf.length, cap + 1 - total), null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
        sleep(5);
        continue;
      }
      if ((e as NodeJS.ErrnoException).code === "EOF") break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

function decode(bytes: Buffer, name: string): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${name} is not UTF-8 text`);
  }
  return text.startsWith("\ufeff") ? text.slice(1) : text;
}

const sizeLimit = (cap: number) => (cap % (1 << 20) === 0 ? `${cap >> 20} MiB` : `${cap} bytes`);

/** Opens a path for reading without blocking on a pipe, and checks it is a regular file. */
function openRegular(path: string, verb: string, hint: string): { fd: number; st: Stats } {
  const refuse = (st: Stats) => new UsageError(`cannot ${verb} ${showPath(path)}: it is ${kindOf(st)}, not a regular file${st.isDirectory() ? "" : hint}`);
  // Stat first: a device is never opened (opening one can have effects of its own).
  const pre = statSync(path);
  if (!pre.isFile()) throw refuse(pre);
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse(st);
    return { fd, st };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The UTF-8 text of a regular file of at most `cap` bytes; undefined when it does not exist and `missingOk`. */
export function readTextFile(path: string, cap = MAX_TEXT_BYTES, missingOk = false): string | undefined {
  let fd: number | undefined;
  try {
    const opened = openRegular(path, "read", cap === MAX_CONFIG_BYTES ? " (pipe a config in with -f -)" : "");
    fd = opened.fd;
    if (opened.st.size > cap) throw new UsageError(`cannot read ${showPath(path)}: it is ${opened.st.size} bytes, more than the ${sizeLimit(cap)} optc reads`);
    const bytes = readBounded(fd, cap);
    if (bytes.length > cap) throw new UsageError(`cannot read ${showPath(path)}: it is more than the ${sizeLimit(cap)} optc reads`);
    return decode(bytes, showPath(path));
  } catch (e) {
    if (missingOk && (e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fsError("read", path, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readStdin(): string {
  let bytes: Buffer;
  try {
    const st = fstatSync(0);
    if (st.isDirectory()) throw new UsageError("cannot read stdin: it is a directory");
    bytes = readBounded(0, MAX_CONFIG_BYTES);
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError(`cannot read stdin: ${describeError(e)}`);
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw new UsageError(`stdin holds more than ${sizeLimit(MAX_CONFIG_BYTES)}; a config is at most that`);
  return decode(bytes, "stdin");
}

export function readSource(p: Parsed): Source {
  const file = p.options.file;
  let src: Source;
  if (typeof file === "string") {
    if (p.positionals.length > 0) throw new UsageError("give the config either as an argument or with -f, not both");
    if (file === "") throw new UsageError("-f needs a file name (or - for stdin)");
    src = file === "-" ? { text: readStdin(), file: "<stdin>" } : { text: readTextFile(file, MAX_CONFIG_BYTES)!, file };
  } else {
    if (p.positionals.length !== 1) throw new UsageError(p.positionals.length === 0 ? "missing the config, e.g. 'adam(1e-3)' or -f train.opt" : "give the config as one quoted argument");
    if (Buffer.byteLength(p.positionals[0]) > MAX_CONFIG_BYTES) throw new UsageError(`the config is more than ${sizeLimit(MAX_CONFIG_BYTES)}`);
    src = { text: p.positionals[0], file: "config" };
  }
  return src;
}

export function printDiagnostics(diags: readonly Diagnostic[], src: Source): void {
  if (diags.length > 0) process.stderr.write(renderDiagnostics(diags, src.text, src.file) + "\n");
}

/** Creates dir and its missing parents, one level at a time, with clean errors (never mkdir -p's loops). */
function ensureDir(dir: string, forPath: string, depth = 0): void {
  const fail = (why: string) => new UsageError(`cannot write ${showPath(forPath)}: ${why}`);
  let st: Stats | undefined;
  try {
    st = statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw fail(`cannot create the directory ${showPath(dir)}: ${describeError(e)}`);
  }
  if (st) {
    if (!st.isDirectory()) throw fail(`${showPath(dir)} is ${kindOf(st)}, not a directory`);
    return;
  }
  const parent = dirname(dir);
  if (parent === dir || depth > 256) throw fail(`cannot create the directory ${showPath(dir)}`);
  ensureDir(parent, forPath, depth + 1);
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(dir).isDirectory()) throw fail(`cannot create the directory ${showPath(dir)}: ${describeError(e)}`);
  }
}

/**
 * Where a write to `path` goes, and the mode to keep: a symbolic link is written through (the
 * link stays); a target that exists must be a regular file.
 */
function writeTarget(path: string): { target: string; mode?: number } {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { target: resolve(path) };
    throw fsError("write", path, e);
  }
  let target = resolve(path);
  if (st.isSymbolicLink()) {
    try {
      target = realpathSync(path);
      st = statSync(target);
    } catch (e) {
      throw fsError("write", path, e);
    }
  }
  if (!st.isFile()) throw new UsageError(`cannot write ${showPath(path)}: it is ${kindOf(st)}, not a regular file`);
  return { target, mode: st.mode & 0o7777 };
}

/** The bytes of `path` equal `text` (false when it is missing or differs); a special file is a UsageError. */
export function fileHolds(path: string, text: string, verb = "write"): boolean {
  const want = Buffer.from(text, "utf8");
  let fd: number | undefined;
  try {
    const opened = openRegular(path, verb, "");
    fd = opened.fd;
    if (opened.st.size !== want.length) return false;
    return readBounded(fd, want.length).equals(want);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    // Before a write, a file that cannot be read is simply written (the write reports what is wrong).
    if (verb === "write" && !(e instanceof UsageError)) return false;
    throw fsError(verb, path, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** UsageError unless writeFileAtomic(path) can be expected to work: checked before long work, creating nothing. */
export function checkWritable(path: string): void {
  if (path === "") throw new UsageError("cannot write to an empty path");
  const { target } = writeTarget(path);
  for (let dir = dirname(target); ; dir = dirname(dir)) {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && dirname(dir) !== dir) continue;
      throw fsError("write", path, e);
    }
    if (!st.isDirectory()) throw new UsageError(`cannot write ${showPath(path)}: ${showPath(dir)} is ${kindOf(st)}, not a directory`);
    return;
  }
}

/** Whether path is a named pipe (opening one for reading waits for a writer). */
export function isPipe(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
}

/** Whether anything (a file, a link, a directory) is at path. */
export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes text to path atomically (a temporary file beside it, then a rename), creating its directory. */
export function writeFileAtomic(path: string, text: string): void {
  if (path === "") throw new UsageError("cannot write to an empty path");
  const { target, mode } = writeTarget(path);
  const dir = dirname(target);
  ensureDir(dir, path);
  const tmp = join(dir, `.${basename(target).slice(0, 100)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode ?? 0o666);
    if (mode !== undefined) fchmodSync(fd, mode);
    const bytes = Buffer.from(text, "utf8");
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // It was never created, or was renamed.
    }
    throw fsError("write", path, e);
  }
}

/** stdout was closed by its reader (EPIPE) or cannot be written: the command stops there. */
export class OutputClosed extends Error {
  constructor(readonly reason: unknown) {
    super(`cannot write to stdout: ${describeError(reason)}`);
  }
}

let guarded = false;

/**
 * Keeps a closed stdout or stderr from crashing the process: their errors (EPIPE when the reader
 * went away) are noted, not thrown, and out() stops the command at its next write.
 */
export function guardOutput(): void {
  if (guarded) return;
  guarded = true;
  for (const s of [process.stdout, process.stderr]) s.on("error", () => undefined);
}

/** Writes to stdout; throws OutputClosed once stdout is gone, so a command never writes (or works) on into the void. */
export function out(text: string): void {
  const stdout = process.stdout;
  if (stdout.destroyed || stdout.errored) throw new OutputClosed(stdout.errored ?? Object.assign(new Error("EPIPE"), { code: "EPIPE" }));
  stdout.write(text);
  if (stdout.errored) throw new OutputClosed(stdout.errored);
}

/** EPIPE: the reader of stdout went away (`| head`), which is not an error. */
export function isBrokenPipe(e: OutputClosed): boolean {
  return (e.reason as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}

/** Params as the spec prints them: the shortest decimal that reads back as the same float32. */
export { shortestFloat32 as f32String } from "../targets/print_number.js";
