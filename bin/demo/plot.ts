/** Loss and accuracy curves with Vega-Lite (SVG), rasterised to PNG by resvg with a bundled font. */
import { Resvg } from "@resvg/resvg-js";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as vega from "vega";
import * as vegaLite from "vega-lite";

export interface CurvePoint {
  optimizer: string;
  epoch: number;
  split: "train" | "test";
  loss: number;
  accuracy: number;
}

/** Both SAM modes of the same config are present (their curves are identical). */
function samBothModes(points: CurvePoint[]): boolean {
  const names = new Set(points.map((p) => p.optimizer));
  return [...names].some((n) => n.startsWith("sam(") && /, opaque_mode=true\)( \[\w+\])?$/.test(n) && names.has(n.replace(/, opaque_mode=true\)( \[\w+\])?$/, ")$1")));
}

function spec(points: CurvePoint[], metric: "loss" | "accuracy", title: string): vegaLite.TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: samBothModes(points) ? { text: title, subtitle: "transparent and opaque SAM give the same numbers (by design), so their lines coincide" } : title,
    background: "white",
    data: { values: points },
    facet: { column: { field: "split", type: "nominal", title: null, sort: ["train", "test"] } },
    spec: {
      width: 360,
      height: 260,
      mark: { type: "line", point: { size: 25 }, strokeWidth: 2 },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1, format: "d" } },
        y: { field: metric, type: "quantitative", title: metric === "loss" ? "cross-entropy (log scale)" : "accuracy", scale: metric === "loss" ? { type: "log" } : { zero: false } },
        color: { field: "optimizer", type: "nominal", legend: { orient: "bottom", columns: 1, labelLimit: 700, title: "optimizer" } },
      },
    },
    config: { font: "DejaVu Sans" },
  } as vegaLite.TopLevelSpec;
}

/** Writes loss.svg/png and accuracy.svg/png into outDir; `model` names the model in the titles. */
export async function renderCharts(points: CurvePoint[], outDir: string, model: string): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const fontDir = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  const written: string[] = [];
  for (const [metric, title] of [["loss", `${model}: loss per epoch`], ["accuracy", `${model}: accuracy per epoch`]] as const) {
    const view = new vega.View(vega.parse(vegaLite.compile(spec(points, metric, title)).spec), { renderer: "none" });
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
