/** Renders diagnostics like a good compiler: location, source line, caret under the span, hint. */
import { error, type Diagnostic } from "../dsl/diagnostic.js";

export interface Position {
  line: number;
  column: number;
}

export function positionOf(source: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

export function renderDiagnostic(d: Diagnostic, source: string, file = "config"): string {
  if (d.span === undefined) return [`${d.severity}[${d.code}]: ${d.message}`, ...(d.hint ? [` = hint: ${d.hint}`] : [])].join("\n");
  const start = positionOf(source, d.span.start);
  const lines = source.split("\n");
  const text = (lines[start.line - 1] ?? "").replace(/\r$/, "");
  const gutter = String(start.line).length;
  const pad = " ".repeat(gutter);
  // The caret covers the span's part on its first line, at least one column.
  const lineEnd = text.length + 1;
  const caretStart = start.column;
  const caretEnd = Math.max(caretStart + 1, Math.min(lineEnd + 1, start.column + (d.span.end - d.span.start)));
  const caret = " ".repeat(caretStart - 1) + "^".repeat(caretEnd - caretStart);
  const out = [
    `${d.severity}[${d.code}]: ${d.message}`,
    `${pad}--> ${file}:${start.line}:${start.column}`,
    `${pad} |`,
    `${start.line} | ${text}`,
    `${pad} | ${caret}`,
  ];
  if (d.hint) out.push(`${pad} = hint: ${d.hint}`);
  return out.join("\n");
}

export function renderDiagnostics(diags: readonly Diagnostic[], source: string, file = "config"): string {
  return diags.map((d) => renderDiagnostic(d, source, file)).join("\n\n");
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
