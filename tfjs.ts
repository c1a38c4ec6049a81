/**
 * optc/tfjs: optc optimizers for TensorFlow.js (an optional peer: @tensorflow/tfjs-core).
 *
 *   import { tfjsOptimizer } from "optc/tfjs";
 *   model.compile({ optimizer: tfjsOptimizer("chain(clip_by_global_norm(1.0), adamw(1e-3))"), loss: "meanSquaredError" });
 */
export { OptcOptimizer, tfjsOptimizer, type TfjsOptimizerOptions } from "./tfjs/optimizer.js";
export type { CopyStats } from "./tfjs/bridge.js";
