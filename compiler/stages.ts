/** The text form of every stage's output: what `optc explain --stage <name>` prints. */
import { formatProgram } from "../dsl/format.js";
import { describePlan, describeTree } from "./describe.js";
import { printLowered } from "./ir/print.js";
import type { Stage, StageOutputs } from "./pipeline.js";
import { describeCode } from "./render.js";

const TEXT: { [S in Stage]: (output: StageOutputs[S]) => string } = {
  ast: (program) => formatProgram(program),
  typed: (tree) => describeTree(tree).join("\n"),
  ir: (lowered) => printLowered(lowered),
  plan: (plans) => plans.flatMap(describePlan).join("\n"),
  kernels: (phases) => describeCode(phases).join("\n"),
};

export function stageText<S extends Stage>(stage: S, output: StageOutputs[S]): string {
  return TEXT[stage](output);
}
