import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { OptcOptimizer, tfjsOptimizer } from "../../tfjs.js";
import { data, makeModel, weightsOf } from "./fixture.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

async function more(model: tfl.LayersModel, epochs: number): Promise<void> {
  const { x, y } = data();
  await model.fit(x, y, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
}

async function saved(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
    { includeOptimizer: true },
  );
  return artifacts!;
}

const CONFIGS = [
  "chain(clip_by_global_norm(1.0), adamw(0.01, weight_decay=1e-2))",
  "sam(sgd(0.05), sgd(0.01), sync_period=2)", // 3 steps: saved mid-cycle, at the perturbed params
  "sam(adam(0.01), sgd(0.01), sync_period=3, opaque_mode=true)",
];

describe("model.save({ includeOptimizer }) and tf.loadLayersModel restore optc's state", () => {
  for (const config of CONFIGS) {
    it(`${config}: 3 steps, save, load into a fresh model, 3 more = 6 uninterrupted steps, bit for bit`, async () => {
      const whole = makeModel();
      whole.compile({ optimizer: tfjsOptimizer(config), loss: "meanSquaredError" });
      await more(whole, 6);

      const first = makeModel();
      first.compile({ optimizer: tfjsOptimizer(config), loss: "meanSquaredError" });
      await more(first, 3);
      const artifacts = await saved(first);
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      expect(loaded.optimizer).toBeInstanceOf(OptcOptimizer);
      expect((loaded.optimizer as OptcOptimizer).config).toBe((first.optimizer as OptcOptimizer).config);
      expect(loaded.optimizer.iterations).toBe(3);
      await more(loaded, 3);
      expect(loaded.optimizer.iterations).toBe(6);
      expect(weightsOf(loaded)).toEqual(weightsOf(whole));
      const names = (await loaded.optimizer.getWeights()).map((w) => w.name);
      expect(names[0]).toBe("iter");
      expect(names).toContain("optc/params");
      expect(names).toContain("optc/count");
    });
  }

  it("getConfig()/fromConfig() carry the canonical config and options; another config's state is refused (R303)", async () => {
    const opt = tfjsOptimizer("adamw( 1e-3 ,weight_decay=0.1 )", { validate: false });
    const config = opt.getConfig();
    expect(config.config).toBe("adamw(0.001, weight_decay=0.1)");
    const back = OptcOptimizer.fromConfig(OptcOptimizer, config) as OptcOptimizer;
    expect(back.config).toBe(opt.config);
    expect(back.options.validate).toBe(false);
    expect(OptcOptimizer.className).toBe("OptcOptimizer");
    expect(tf.serialization.SerializationMap.getMap().classNameMap.OptcOptimizer).toBeDefined();

    const w = tf.variable(tf.ones([3]), true, "cfg/w");
    opt.applyGradients({ [w.name]: tf.ones([3]) });
    const weights = await opt.getWeights();
    const other = tfjsOptimizer("adam(0.001)");
    other.applyGradients({ [w.name]: tf.ones([3]) });
    await expect(other.setWeights(weights)).rejects.toMatchObject({ code: "R303" });
    await expect(other.setWeights([])).rejects.toMatchObject({ code: "R301" });
  });
});
