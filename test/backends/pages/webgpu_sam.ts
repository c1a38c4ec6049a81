// Browser page: steps a WebGPU-compiled SAM through navigator.gpu and shows the params per step.
import type { CompiledStep } from "../../../format/artifact.js";
import { GpuRun } from "../../../runtime/backends/webgpu/run.js";

const out = document.getElementById("result")!;
try {
  const artifact = (await (await fetch("./artifact.json")).json()) as CompiledStep;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error("no WebGPU adapter");
  const device = await adapter.requestDevice();
  const run = await GpuRun.create(artifact, { w: [-1, 10, 1] }, { device });
  const rows: { phase: string; params: number[]; adapter: string }[] = [];
  for (let step = 0; step < 6; step++) {
    const phase = run.phase;
    const p = (await run.readParams()).w;
    run.writeGrads({ w: Array.from(p, (x, i) => 2 * (x - [1, -1, 1][i])) });
    await run.step();
    rows.push({ phase, params: Array.from((await run.readParams()).w), adapter: adapter.info?.architecture ?? "" });
  }
  out.textContent = JSON.stringify(rows);
} catch (e) {
  out.textContent = `error: ${(e as Error).message}`;
}
