/** Spec §9.8(a): the paper's SAM on L(w) = Σ(w - w*)², w0 = [-1, 10, 1], w* = [1, -1, 1]; caller params after each call. */
export const SAM_ROWS_A = [
  [-1.0089443, 10.049193, 1],
  [-0.59821117, 7.790161, 1],
  [-0.60715544, 7.8393545, 1],
  [-0.27678007, 6.02229, 1],
  [-0.28572434, 6.0714836, 1],
  [-0.01963517, 4.6079936, 1],
];
export const SAM_PHASES_A = ["adversarial_first", "outer", "adversarial_first", "outer", "adversarial_first", "outer"];
