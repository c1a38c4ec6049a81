/**
 * Renders diagnostics like a good compiler: location, source line, caret under the span, hint.
 *
 * What is printed is safe for a terminal: control characters, bidirectional overrides and other
 * invisible characters from the config (or a file name, or a message that quotes the config) are
 * written as `\u{..}` escapes, and the caret is placed under what is printed (escapes, tabs and
 * double-width characters included). A source line wider than MAX_LINE_COLUMNS is cut to a window
 * around the caret, marked with `…`, so a 1 MB line never makes a 1 MB diagnostic; messages and
 * hints are cut at MAX_MESSAGE_CHARS, and at most MAX_RENDERED diagnostics are rendered.
 */
import { error, type Diagnostic } from "../dsl/diagnostic.js";
import { codePointEscape, escapeUnsafe, isUnsafeChar } from "../dsl/format.js";

export interface Position {
  line: number;
  column: number;
}

/** Columns of a source line shown in a diagnostic, at most. */
export const MAX_LINE_COLUMNS = 200;
/** Characters of a message or hint, at most. */
export const MAX_MESSAGE_CHARS = 1000;
/** Diagnostics rendered by renderDiagnostics, at most (then a count of the rest). */
export const MAX_RENDERED = 200;

export function positionOf(source: string, offset: number): Position {
  return positionIn(lineStarts(source), source, offset);
}

/** Offsets where each line starts (the index a renderer computes once per source). */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function positionIn(starts: readonly number[], source: string, offset: number): Position {
  const end = Math.max(0, Math.min(offset, source.length));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= end) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: end - starts[lo] + 1 };
}

/** Text for one line of a diagnostic (a message, a hint, a file name): escaped, and cut when long. */
export function safeText(text: string, max = MAX_MESSAGE_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return escapeUnsafe(cut);
}

/** Terminal columns of a printable code point: 2 for East Asian wide characters and emoji, else 1. */
function columns(cp: number): number {
  if (cp < 0x1100) return 1;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** One printed cell of a source line: the code units [start, end) it shows, as `shown`, `width` columns wide. */
interface Cell {
  start: number;
  end: number;
  shown: string;
  width: number;
}

/** Cells of text[from, to), with offsets in text; the column after the end of the line when `to` is the end. */
function cellsOf(text: string, from: number, to: number): Cell[] {
  const cells: Cell[] = [];
  for (let i = from; i < to; ) {
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const ch = text.slice(i, i + len);
    const shown = ch === "\t" ? "\t" : isUnsafeChar(ch) ? codePointEscape(ch) : ch;
    // A tab is printed as a tab on the caret line too, so its width only matters for the window.
    const width = ch === "\t" ? 4 : shown === ch ? columns(cp) : shown.length;
    cells.push({ start: i, end: i + len, shown, width });
    i += len;
  }
  // The column after the last character, where a caret for "the end of the input" goes.
  if (to === text.length) cells.push({ start: text.length, end: text.length + 1, shown: "", width: 1 });
  return cells;
}

const isLowSurrogate = (text: string, i: number) => i > 0 && i < text.length && /[\udc00-\udfff]/.test(text[i]) && /[\ud800-\udbff]/.test(text[i - 1]);

/** The source line and the caret under [from, to) (line-relative code units), as printed. */
function sourceAndCaret(text: string, from: number, to: number): { line: string; caret: string } {
  // Only the part of a long line that can be shown is looked at (every cell is a column or more).
  let rs = Math.max(0, from - 2 * MAX_LINE_COLUMNS);
  let re = Math.min(text.length, Math.max(from, Math.min(to, text.length)) + 2 * MAX_LINE_COLUMNS);
  if (isLowSurrogate(text, rs)) rs--;
  if (isLowSurrogate(text, re)) re++;
  const cells = cellsOf(text, rs, re);
  let first = cells.findIndex((c) => c.end > from);
  if (first < 0) first = cells.length - 1;
  let last = first;
  while (last + 1 < cells.length && cells[last + 1].start < to) last++;
  // The window: the whole line when it fits, otherwise MAX_LINE_COLUMNS columns from a little
  // before the caret, cut at whole characters.
  const total = cells.reduce((s, c) => s + c.width, 0);
  let lo = 0;
  let hi = cells.length;
  if (total > MAX_LINE_COLUMNS + 1 || rs > 0 || re < text.length) {
    let width = 0;
    lo = first;
    while (lo > 0 && width + cells[lo - 1].width <= 40) width += cells[--lo].width;
    width = 0;
    for (let i = lo; i < first; i++) width += cells[i].width;
    hi = first;
    while (hi < cells.length && width + cells[hi].width <= MAX_LINE_COLUMNS) width += cells[hi++].width;
    if (hi <= first) hi = first + 1;
    while (lo > 0 && width + cells[lo - 1].width <= MAX_LINE_COLUMNS) width += cells[--lo].width;
  }
  const before = lo > 0 || rs > 0 ? "…" : "";
  const after = hi < cells.length || re < text.length ? "…" : "";
  const line = before + cells.slice(lo, hi).map((c) => c.shown).join("") + after;
  let caret = before ? " " : "";
  for (let i = lo; i < first; i++) caret += cells[i].shown === "\t" ? "\t" : " ".repeat(cells[i].width);
  for (let i = first; i <= Math.min(last, hi - 1); i++) caret += "^".repeat(cells[i].shown === "\t" ? 1 : cells[i].width);
  return { line, caret };
}

export function renderDiagnostic(d: Diagnostic, source: string, file = "config", starts?: readonly number[]): string {
  const head = `${d.severity}[${safeText(d.code, 20)}]: ${safeText(d.message)}`;
  if (d.span === undefined) return [head, ...(d.hint ? [` = hint: ${safeText(d.hint)}`] : [])].join("\n");
  const index = starts ?? lineStarts(source);
  const start = positionIn(index, source, d.span.start);
  const lineStart = index[start.line - 1];
  const next = index[start.line];
  const text = source.slice(lineStart, next === undefined ? source.length : next - 1).replace(/\r$/, "");
  const gutter = String(start.line).length;
  const pad = " ".repeat(gutter);
  // The caret covers the span's part on its first line, at least one column.
  const from = start.column - 1;
  const to = Math.max(from + 1, Math.min(text.length + 1, from + (d.span.end - d.span.start)));
  const { line, caret } = sourceAndCaret(text, from, to);
  const out = [head, `${pad}--> ${safeText(file, 500)}:${start.line}:${start.column}`, `${pad} |`, `${start.line} | ${line}`, `${pad} | ${caret}`];
  if (d.hint) out.push(`${pad} = hint: ${safeText(d.hint)}`);
  return out.join("\n");
}

export function renderDiagnostics(diags: readonly Diagnostic[], source: string, file = "config"): string {
  const starts = lineStarts(source);
  const shown = diags.slice(0, MAX_RENDERED).map((d) => renderDiagnostic(d, source, file, starts));
  if (diags.length > MAX_RENDERED) shown.push(`... and ${diags.length - MAX_RENDERED} more diagnostics (not shown)`);
  return shown.join("\n\n");
}

/** An error carrying diagnostics, for APIs that throw (compile(), init()). */
export class OptcError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly source: string,
  ) {
    super(renderDiagnostics(diagnostics, source));
    this.name = "OptcError";
  }
}

/** P101: a package that a feature needs (an optional peer of optc's) is not installed. */
export function missingPeer(pkg: string, feature: string, install: string): Diagnostic {
  return error("P101", `${feature} needs the package '${pkg}', which is not installed`, undefined, install);
}
