/** What the checker knows about each name, and the typed tree it produces. */
import type { Span } from "../../dsl/diagnostic.js";

export type Kind =
  | { t: "number" }
  | { t: "int" }
  | { t: "bool" }
  | { t: "string" }
  | { t: "enum"; values: string[] }
  /** A float or a schedule (optax: ScalarOrSchedule). */
  | { t: "schedule" }
  | { t: "transform" }
  | { t: "list"; of: Kind }
  /** Python's fixed-arity tuple of mixed kinds, e.g. dog's `init_step=("heuristic", 1e-6)`; its value is a list (written `(a, b)` or `[a, b]`). */
  | { t: "tuple"; items: Kind[] }
  | { t: "map"; key: Kind; value: Kind }
  | { t: "optional"; of: Kind }
  /** Tensor-name globs: a string or a list of strings. */
  | { t: "mask" }
  /** A dtype name; only float32 state is supported. */
  | { t: "dtype" }
  /** Argument names: a string or a list (tuple) of strings (optax's `Union[str, Iterable[str]]`: static_args). */
  | { t: "names" }
  /** A named predicate such as skip_not_finite. */
  | { t: "predicate" };

export type DefaultValue = number | boolean | string | null | DefaultValue[];

export interface ParamSpec {
  name: string;
  kind: Kind;
  /** Absent: the argument is required. */
  default?: DefaultValue;
  kwOnly?: boolean;
  /** `*transforms`: takes every positional argument. */
  varargs?: boolean;
  aliases?: string[];
  /** Returns an error message when the value is out of range. */
  check?: (value: Value, args: Args) => string | undefined;
  doc?: string;
}

export type Category = "alias" | "transform" | "combinator" | "schedule" | "predicate";

export interface DefBase {
  name: string;
  category: Category;
  /** Python module it lives in, for docs: "optax" or "optax.contrib". */
  module: "optax" | "optax.contrib";
  params: ParamSpec[];
  doc: string;
}

export type Value =
  /** `hyper`: inside inject_hyperparams, the path of the runtime hyperparameter this number starts (compiler/transforms/inject_hyperparams.ts). */
  | { k: "number"; v: number; isInt: boolean; span: Span; hyper?: string }
  | { k: "bool"; v: boolean; span: Span }
  | { k: "string"; v: string; span: Span }
  | { k: "none"; span: Span }
  | { k: "list"; items: Value[]; span: Span }
  | { k: "map"; entries: [Value, Value][]; span: Span }
  | CallValue;

export interface CallValue {
  k: "call";
  name: string;
  category: Category;
  args: Args;
  /** Names of the arguments the user wrote (the rest are defaults). */
  explicit: string[];
  /** Source path, e.g. `chain[1].adamw`; the prefix of every state slot it owns. */
  path: string;
  span: Span;
}

export type Args = Record<string, Value>;

export function valueSummary(v: Value): string {
  switch (v.k) {
    case "number":
      return "a number";
    case "bool":
      return "a boolean";
    case "string":
      return "a string";
    case "none":
      return "None";
    case "list":
      return "a list";
    case "map":
      return "a map";
    case "call":
      return v.category === "schedule" ? `a schedule (${v.name})` : v.category === "predicate" ? `a predicate (${v.name})` : `an optimizer (${v.name})`;
  }
}

export function kindSummary(k: Kind): string {
  switch (k.t) {
    case "number":
      return "a number";
    case "int":
      return "an integer";
    case "bool":
      return "a boolean";
    case "string":
      return "a string";
    case "enum":
      return `one of ${k.values.map((v) => `"${v}"`).join(", ")}`;
    case "schedule":
      return "a number or a schedule";
    case "transform":
      return "an optimizer or gradient transformation";
    case "list":
      return `a list of ${kindSummary(k.of).replace(/^an? /, "")}s`;
    case "tuple":
      return `a tuple (${k.items.map((x) => (x.t === "enum" ? x.values.map((e) => `"${e}"`).join(" | ") : kindSummary(x).replace(/^an? /, ""))).join(", ")})`;
    case "map":
      return `a map from ${kindSummary(k.key)} to ${kindSummary(k.value)}`;
    case "optional":
      return `${kindSummary(k.of)} or None`;
    case "mask":
      return "a tensor-name glob or a list of globs";
    case "dtype":
      return 'a dtype ("float32") or None';
    case "names":
      return "a name or a tuple of names";
    case "predicate":
      return "a predicate (skip_not_finite)";
  }
}
