// Types of `.opt` imports (optc's Vite plugin turns them into modules with this default export).
declare module "*.opt" {
  import type { InitOptions, Run, TensorInit } from "optc/runtime";
  const createOptimizer: (params: Record<string, TensorInit>, options?: InitOptions) => Promise<Run>;
  export default createOptimizer;
}
