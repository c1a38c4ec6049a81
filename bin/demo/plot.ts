/** Loss and accuracy curves with Vega-Lite (SVG), rasterised to PNG by resvg with a bundled font. */
import { Resvg } from "@resvg/resvg-js";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as vega from "vega";
import * as vegaLite from "vega-lite";

/** The training loss of one batch (a moving mean), as model.fit logged it: the loss at the true params. */
export interface StepPoint {
  optimizer: string;
  step: number;
  loss: number;
}

export interface CurvePoint {
  optimizer: string;
  epoch: number;
  split: "train" | "test";
  loss: number;
  accuracy: number;
}

/** Both SAM modes of the same config are present (their curves are identical). */
function samBothModes(points: { optimizer: string }[]): boolean {
  const names = new Set(points.map((p) => p.optimizer));
  return [...names].some((n) => n.startsWith("sam(") && /, opaque_mode=true\)( \[\w+\])?$/.test(n) && names.has(n.replace(/, opaque_mode=true\)( \[\w+\])?$/, ")$1")));
}

const LEGEND = { field: "optimizer", type: "nominal", legend: { orient: "bottom", columns: 1, labelLimit: 1200, title: "optimizer" } };
const SAM_NOTE = "transparent and opaque SAM give the same numbers (by design), so their lines coincide";

/** The training loss per step, every optimizer in one panel. */
function stepSpec(steps: StepPoint[], title: string): vegaLite.TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: samBothModes(steps) ? { text: title, subtitle: SAM_NOTE } : title,
    background: "white",
    data: { values: steps },
    width: 760,
    height: 300,
    mark: { type: "line", strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "batch (the optimizer's outer updates)" },
      y: { field: "loss", type: "quantitative", title: "training loss, moving mean (log scale)", scale: { type: "log", nice: false } },
      color: LEGEND,
    },
    config: { font: "DejaVu Sans" },
  } as vegaLite.TopLevelSpec;
}

function spec(points: CurvePoint[], metric: "loss" | "accuracy", title: string): vegaLite.TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: samBothModes(points) ? { text: title, subtitle: SAM_NOTE } : title,
    background: "white",
    data: { values: points },
    facet: { column: { field: "split", type: "nominal", title: null, sort: ["train", "test"] } },
    spec: {
      width: 360,
      height: 260,
      mark: { type: "line", point: { size: 25 }, strokeWidth: 2 },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1, format: "d" } },
        y: { field: metric, type: "quantitative", title: metric === "loss" ? "cross-entropy (log scale)" : "accuracy", scale: metric === "loss" ? { type: "log", nice: false } : { zero: false } },
        color: LEGEND,
      },
    },
    config: { font: "DejaVu Sans" },
  } as vegaLite.TopLevelSpec;
}

/**
 * Writes loss.svg/png and accuracy.svg/png (per epoch, train and test) and, given steps,
 * steps.svg/png (the training loss per batch) into outDir; `model` names the model in the titles.
 */
export async function renderCharts(points: CurvePoint[], outDir: string, model: string, steps: StepPoint[] = []): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const fontDir = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  const written: string[] = [];
  const charts: [string, vegaLite.TopLevelSpec][] = [
    ["loss", spec(points, "loss", `${model}: loss per epoch`)],
    ["accuracy", spec(points, "accuracy", `${model}: accuracy per epoch`)],
  ];
  if (steps.length > 0) charts.push(["steps", stepSpec(steps, `${model}: training loss per batch`)]);
  for (const [metric, chart] of charts) {
    const view = new vega.View(vega.parse(vegaLite.compile(chart).spec), { renderer: "none" });
    const svg = await view.toSVG();
    view.finalize();
    const { writeFileSync } = await import("node:fs");
    const svgPath = join(outDir, `${metric}.svg`);
    writeFileSync(svgPath, svg);
    const png = new Resvg(svg, { fitTo: { mode: "zoom", value: 2 }, font: { fontFiles: [join(fontDir, "DejaVuSans.ttf"), join(fontDir, "DejaVuSans-Bold.ttf")], loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
    const pngPath = join(outDir, `${metric}.png`);
    writeFileSync(pngPath, png);
    written.push(svgPath, pngPath);
  }
  return written;
}
