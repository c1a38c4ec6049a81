/**
 * Builds a StepProgram with hash-consing (identical nodes are shared) and folding of
 * operations on constants, using the same scalar semantics as the interpreter.
 */
import { evalBinary, evalUnary, truthy, type BinaryOp, type UnaryOp } from "../../format/ops.js";
import { maxRank, operands, type CounterStore, type GuardDecl, type IrNode, type NodeOp, type Rank, type Reduction, type StepProgram, type Store } from "./node.js";

export type Id = number;

export class Builder {
  readonly nodes: IrNode[] = [];
  readonly reductions: Reduction[] = [];
  readonly stores: Store[] = [];
  readonly counterStores: CounterStore[] = [];
  readonly guards: GuardDecl[] = [];
  private readonly memo = new Map<string, Id>();

  constructor(readonly name: string) {}

  private rankOf(n: NodeOp): Rank {
    switch (n.op) {
      case "const":
      case "counter":
      case "input":
        return "scalar";
      case "maskflag":
        return "segment";
      case "reduce":
        return this.reductions[n.reduction].scope === "global" ? "scalar" : "segment";
      case "load":
        return "element";
      default:
        return maxRank(operands(n).map((id) => this.nodes[id].rank));
    }
  }

  private intern(n: NodeOp): Id {
    // JSON writes NaN and ±Infinity as null and -0 as 0, which would merge distinct constants
    // (NaN with Infinity; +0 with -0): constants are keyed by the number's exact spelling.
    const key = n.op === "const" ? `const ${Object.is(n.value, -0) ? "-0" : String(n.value)}` : JSON.stringify(n);
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const id = this.nodes.length;
    this.nodes.push({ ...n, rank: this.rankOf(n) } as IrNode);
    this.memo.set(key, id);
    return id;
  }

  constValue(id: Id): number | undefined {
    const n = this.nodes[id];
    return n.op === "const" ? n.value : undefined;
  }

  rank(id: Id): Rank {
    return this.nodes[id].rank;
  }

  const(value: number): Id {
    return this.intern({ op: "const", value });
  }
  counter(name: string): Id {
    return this.intern({ op: "counter", counter: name });
  }
  /** A scalar the runtime supplies each step (a runtime hyperparameter, step({ loss })). */
  input(name: string): Id {
    return this.intern({ op: "input", input: name });
  }
  load(arena: string): Id {
    return this.intern({ op: "load", arena });
  }
  maskflag(mask: number): Id {
    return this.intern({ op: "maskflag", mask });
  }

  unary(op: UnaryOp, a: Id): Id {
    const ca = this.constValue(a);
    if (ca !== undefined) return this.const(evalUnary(op, ca));
    return this.intern({ op, a });
  }

  binary(op: BinaryOp, a: Id, b: Id): Id {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.const(evalBinary(op, ca, cb));
    // Exact identities only: these never change a result, NaN and -0 included.
    if (op === "mul" && cb === 1) return a;
    if (op === "mul" && ca === 1) return b;
    if (op === "div" && cb === 1) return a;
    // Dividing every element by a per-step value: multiply by its float64 reciprocal, computed
    // once on the host (a division costs ~4x a multiplication in the element loop). The result
    // differs from the division by at most one float64 ulp before the float32 store.
    if (op === "div" && this.nodes[b].rank !== "element" && this.nodes[a].rank === "element") {
      return this.intern({ op: "mul", a, b: this.binary("div", this.const(1), b) });
    }
    return this.intern({ op, a, b });
  }

  select(c: Id, a: Id, b: Id): Id {
    const cc = this.constValue(c);
    if (cc !== undefined) return truthy(cc) ? a : b;
    if (a === b) return a;
    return this.intern({ op: "select", c, a, b });
  }

  // Convenience arithmetic.
  add(a: Id, b: Id): Id {
    return this.binary("add", a, b);
  }
  sub(a: Id, b: Id): Id {
    return this.binary("sub", a, b);
  }
  mul(a: Id, b: Id): Id {
    return this.binary("mul", a, b);
  }
  div(a: Id, b: Id): Id {
    return this.binary("div", a, b);
  }
  neg(a: Id): Id {
    return this.unary("neg", a);
  }
  sqrt(a: Id): Id {
    return this.unary("sqrt", a);
  }
  f32(a: Id): Id {
    return this.unary("f32", a);
  }

  reduce(value: Id, scope: "global" | "segment", mask?: Id): Id {
    const same = this.reductions.findIndex((r) => r.value === value && r.scope === scope && r.mask === mask);
    if (same >= 0) return this.intern({ op: "reduce", reduction: same });
    const index = this.reductions.length;
    this.reductions.push(mask === undefined ? { value, scope } : { value, scope, mask });
    return this.intern({ op: "reduce", reduction: index });
  }

  store(arena: string, value: Id): void {
    if (this.stores.some((s) => s.arena === arena)) throw new Error(`internal: arena ${arena} stored twice in one step`);
    this.stores.push({ arena, value });
  }

  storeCounter(counter: string, value: Id): void {
    if (this.counterStores.some((s) => s.counter === counter)) throw new Error(`internal: counter ${counter} stored twice in one step`);
    this.counterStores.push({ counter, value });
  }

  guard(cond: Id, code: string, message: string, hint: string): void {
    this.guards.push({ cond, code, message, hint });
  }

  program(): StepProgram {
    return {
      name: this.name,
      nodes: this.nodes,
      reductions: this.reductions,
      stores: this.stores,
      counterStores: this.counterStores,
      guards: this.guards,
    };
  }
}
