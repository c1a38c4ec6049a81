/** Source positions and diagnostics: the one shape every user-facing error takes. */

/** A half-open character range [start, end) in the source text. */
export interface Span {
  start: number;
  end: number;
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  /** Stable code, e.g. "E201"; one file per code in test/errors/. */
  code: string;
  severity: Severity;
  message: string;
  /** Where in the config; absent when the diagnostic is about an option or the environment (a target, a missing package). */
  span?: Span;
  hint?: string;
}

export function error(code: string, message: string, span: Span | undefined, hint?: string): Diagnostic {
  const d: Diagnostic = { code, severity: "error", message };
  if (span !== undefined) d.span = span;
  if (hint !== undefined) d.hint = hint;
  return d;
}

export function warning(code: string, message: string, span: Span, hint?: string): Diagnostic {
  return hint === undefined ? { code, severity: "warning", message, span } : { code, severity: "warning", message, span, hint };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}
