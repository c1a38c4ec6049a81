// Steps the build-time compiled SAM on L(w) = Σ(w - target)² and shows the params per step.
import createOptimizer from "./train.opt";

const target = [1, -1, 1];
const run = await createOptimizer({ w: [-1, 10, 1] });
const rows: { phase: string; params: number[] }[] = [];
for (let step = 0; step < 6; step++) {
  const phase = run.phase;
  for (let i = 0; i < 3; i++) run.grads.w[i] = 2 * (run.params.w[i] - target[i]);
  await run.step();
  rows.push({ phase, params: Array.from(run.params.w) });
}
document.getElementById("result")!.textContent = JSON.stringify(rows);
