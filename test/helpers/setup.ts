/** Runs before every test file: every compilation the tests make has its IR verified between lower and fuse. */
import { verifyLowered } from "../../compiler/ir/verify.js";
import type { LoweredConfig } from "../../compiler/lower/lower.js";
import { setLoweredCheck } from "../../compiler/pipeline.js";

export function verifyEveryLowering(lowered: LoweredConfig): void {
  const problems = verifyLowered(lowered);
  if (problems.length > 0) throw new Error(`internal: invalid IR: ${problems.join("; ")}`);
}

setLoweredCheck(verifyEveryLowering);
