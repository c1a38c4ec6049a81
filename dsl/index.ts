export type * from "./ast.js";
export type { Diagnostic, Span, Severity } from "./diagnostic.js";
export { error, warning, hasErrors } from "./diagnostic.js";
export { parse, type ParseResult } from "./parse.js";
export { formatProgram, formatExpr, formatNumberLiteral, formatString } from "./format.js";
