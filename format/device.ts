/**
 * What GPU steps keep on the device (format version 3): the host values a phase's kernels and
 * device programs read, the device programs themselves (the part of the host program that
 * depends on a reduction or a device counter, rendered per target from one neutral form), the
 * counters that live on the device, and the refusals a device guard can raise. With these a
 * step is encoded and submitted without the CPU ever waiting for the GPU.
 */
import type { GpuJsDeviceProgram, GpuJsStepKernels } from "./abi_gpujs.js";
import type { AluOp } from "./ops.js";

/**
 * Where a phase's host values live on the device: a table of scalar slots and per-tensor rows.
 * Host-computed values (counters, schedules, constants' combinations) come first and are written
 * by the host before the phase runs; device-computed values follow.
 */
export interface DeviceTable {
  /** Per host node: computed on the device (it depends on a reduction or a device counter). */
  onDevice: boolean[];
  /** Per host node: its scalar slot, or -1 where the device never reads it. */
  slot: number[];
  /** Per host node: its row (one value per tensor), or -1. */
  row: number[];
  /** Slots [0, hostScalars) and rows [0, hostRows) are the host's to write before each step. */
  hostScalars: number;
  scalars: number;
  hostRows: number;
  rows: number;
}

/** A device program's value: a leaf (literal, table slot or row, device counter, finished reduction) or ALU math. */
export type DeviceOp = (
  | { op: "const"; value: number }
  | { op: "slot"; slot: number }
  | { op: "row"; row: number }
  | { op: "counter"; index: number }
  /**
   * Reduction `reduction` of the fold `fold` (program.folds): per-tensor sums (scope segment), or
   * those summed over tensors in order, skipping tensors whose mask row is false (scope global).
   */
  | { op: "fold"; fold: number; reduction: number; scope: "global" | "segment"; maskRow?: number }
  | AluOp
) & {
  rank: "scalar" | "segment";
  /** The table slot (scalar) or row (segment) the value is written to; every segment value has a row. */
  slot?: number;
  row?: number;
};

/**
 * The device part of the host program at one level: runs once (one thread) after the passes
 * before it and their folds, before pass `level`'s kernels. It does nothing when a refusal is
 * already recorded; otherwise it computes its ops in order, checks its guards in order (the
 * first false one records its refusal and the step number and ends the program), then writes
 * its values to the table and, at the last level, the device counters.
 */
export interface DeviceProgram {
  name: string;
  level: number;
  /** The kernels of pass level-1 that reduce, in pass order: their index in the pass and reduction count. */
  folds: { kernel: number; reductions: number }[];
  ops: DeviceOp[];
  /** A guard refuses when its value is false; finiteness guards only when the run validates. */
  guards: { value: number; refusal: number; finiteness: boolean }[];
  counterStores: { value: number; counter: number }[];
}

/** A phase's device side, as the artifact holds it. */
export interface PhaseDevice {
  table: DeviceTable;
  programs: { program: DeviceProgram; code: DeviceCode }[];
}

export interface DeviceCode {
  wgsl?: string;
  /** gpu.js: a device program's kernel (GpuJsDeviceProgram), or the step's fold and helper kernels (GpuJsStepKernels). */
  gpujs?: GpuJsDeviceProgram | GpuJsStepKernels;
}

/** What the whole step keeps on the device. */
export interface StepDevice {
  /** Counters whose new values depend on the device (apply_if_finite's error count, MultiSteps' skips), by index. */
  counters: string[];
  /** Refusal id k (1-based) is refusals[k - 1]. */
  refusals: { code: string; message: string; hint: string; finiteness: boolean; arenas?: string[] }[];
  /** The fold (sums a reducing kernel's partials), one program for every kernel. */
  fold?: DeviceCode;
}
