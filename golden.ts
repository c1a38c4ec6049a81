/**
 * optc/golden: golden-output tests per backend (Node). Record a trajectory of a config on a toy
 * problem with the reference interpreter, then check that every backend still follows it within
 * its documented tolerance (js and interp bit for bit; webgpu and gpujs 4 float32 ulps per phase).
 *
 *   import { expectGolden } from "optc/golden";
 *   it("our SAM", async () => { await expectGolden("test/sam.golden.json", config, { backends: ["js", "gpujs"] }); });
 */
export { checkGolden, recordGolden, TOLERANCE_ULPS, type BackendResult, type CheckOptions, type GoldenReport, type RecordOptions, type StepResult } from "./tools/golden/check.js";
export { expectGolden, expectSameRecording, writeGolden, type ExpectGoldenOptions } from "./tools/golden/expect.js";
export { GOLDEN_VERSION, GoldenError, parseGolden, readGoldenFile, serializeGolden, type GoldenFile, type GoldenProblem, type GoldenRow } from "./tools/golden/format.js";
export { formatGoldenReport } from "./tools/golden/report.js";
export { BACKENDS, type Backend } from "./tools/trajectory.js";
export { PROBLEMS } from "./tools/problems.js";
