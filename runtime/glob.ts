/** Tensor-name masks: globs with `*` (any run of characters) and `?`; `!` negates; last match wins. */

function globToRegExp(glob: string): RegExp {
  let re = "^";
  for (const ch of glob) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  return new RegExp(`${re}$`, "s");
}

/** True when `name` is selected by the patterns (gitignore-style; starts selected if the first pattern negates). */
export function matchesMask(name: string, patterns: readonly string[]): boolean {
  let selected = patterns.length > 0 && patterns[0].startsWith("!");
  for (const p of patterns) {
    const negate = p.startsWith("!");
    if (globToRegExp(negate ? p.slice(1) : p).test(name)) selected = !negate;
  }
  return selected;
}
