/** Toy problems for `optc trace` and golden files: loss and gradient in float64 from float32 params. */

/** The problems' names, for usage messages and golden files. */
export const PROBLEMS = ["quadratic", "sphere", "rosenbrock"] as const;

export interface Problem {
  name: string;
  x0: number[];
  loss(x: ArrayLike<number>): number;
  grad(x: ArrayLike<number>, out: Float32Array): void;
}

export function makeProblem(name: string, target: number[] | undefined): Problem | string {
  switch (name) {
    case "quadratic": {
      const t = target ?? [1, -1, 1];
      return {
        name,
        x0: [-1, 10, 1],
        loss: (x) => Array.from(x).reduce((s, xi, i) => s + (xi - (t[i] ?? 0)) ** 2, 0),
        grad: (x, out) => {
          for (let i = 0; i < out.length; i++) out[i] = 2 * (x[i] - (t[i] ?? 0));
        },
      };
    }
    case "sphere":
      return {
        name,
        x0: [1, 2, 3],
        loss: (x) => Array.from(x).reduce((s, xi) => s + xi * xi, 0),
        grad: (x, out) => {
          for (let i = 0; i < out.length; i++) out[i] = 2 * x[i];
        },
      };
    case "rosenbrock":
      return {
        name,
        x0: [-1.2, 1],
        loss: (x) => (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
        grad: (x, out) => {
          out[0] = -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2);
          out[1] = 200 * (x[1] - x[0] ** 2);
        },
      };
    default:
      return `unknown problem '${name}' (problems: ${PROBLEMS.join(", ")})`;
  }
}
