/** A golden check as a table: the worst ulps per backend and step, the tolerance, the verdict. */
import { TOLERANCE_ULPS, type BackendResult, type GoldenReport, type StepResult } from "./check.js";

function cell(s: StepResult | undefined): string {
  if (!s) return "-";
  const over = s.phaseMismatch !== undefined || (s.limit === 0 ? s.differs : !(s.ulps <= s.limit));
  let v = s.ulps === 0 && !s.differs ? "0" : s.ulps < 0.01 ? "<0.01" : s.ulps >= 1e6 ? s.ulps.toExponential(1) : s.ulps.toFixed(2);
  if (s.phaseMismatch !== undefined) v = `phase ${s.phaseMismatch}`;
  return over ? `${v} !` : v;
}

function verdict(r: BackendResult): string {
  if (r.error) return "could not run";
  return r.ok ? "ok" : `DRIFT at ${r.firstFailure}`;
}

export function formatGoldenReport(report: GoldenReport, file?: string): string {
  const g = report.golden;
  const sam = g.trajectory.some((r) => r.phase !== undefined);
  const head = ["step", ...(sam ? ["phase"] : []), ...report.results.map((r) => r.backend)];
  const rows: string[][] = g.trajectory.map((row, i) => [String(row.step), ...(sam ? [row.phase ?? ""] : []), ...report.results.map((r) => cell(r.steps[i]))]);
  const pad = sam ? [""] : [];
  rows.push(["tolerance", ...pad, ...report.results.map((r) => (TOLERANCE_ULPS[r.backend] === 0 ? "exact" : `${TOLERANCE_ULPS[r.backend]}/phase`))]);
  rows.push(["result", ...pad, ...report.results.map(verdict)]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 || (sam && c === 1) ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join("  ").trimEnd();
  const title = `${file ? `${file}: ` : ""}${g.config} on ${g.problem.name}, ${g.steps} step${g.steps === 1 ? "" : "s"}`;
  const out = [title, "worst distance from the recording per step, in float32 ulps of max(1, |value|) (! past the tolerance):", line(head), ...rows.map(line)];
  for (const r of report.results) if (r.error) out.push("", `${r.backend}:`, ...r.error.split("\n").map((l) => `  ${l}`));
  for (const n of report.notes) out.push(`note: ${n}`);
  return out.join("\n");
}
