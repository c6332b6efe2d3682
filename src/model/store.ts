/**
 * The model folder: `model.json` + `weights.bin` in the standard TensorFlow.js
 * layers format (stock `tf.loadLayersModel` reads it), `scaler.json`,
 * `training_history.json` and `model_config.json`. Written into a temporary
 * folder and renamed, so a crash never leaves half a model.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { featureNames, type Scaler } from "../features/mod.ts";
import { scalerSchema } from "../features/scaler.ts";
import { z } from "zod";
import { atomicWriteDir, atomicWriteFile, sha256Hex } from "../util/fs.ts";
import { readRequiredJsonFile } from "../util/json.ts";
import { DataError } from "../util/errors.ts";
import { loadFeaturesModule } from "../features/module.ts";
import { readComposite } from "./composite.ts";
import type { EpochRecord } from "./train.ts";
import {
  CARD_FILE,
  type CardDraft,
  createCard,
  type ModelCard,
  readCard,
  writeCard,
} from "./card.ts";
import { defaultKernel, type Kernel, useKernel } from "./fast/layers.ts";
import type { LayersModel } from "./architectures.ts";

/** What {@linkcode saveModel} writes besides the model itself. */
export interface SaveModelOptions {
  /** The model card; the schema version, `weightsSha256`, `createdAt` and `versions` are filled in. */
  card: CardDraft;
  /** The scaler fitted on the training rows. */
  scaler: Scaler;
  /** Per-epoch history. */
  history: EpochRecord[];
  /** Replace an existing folder at `dir` (default true). */
  overwrite?: boolean;
  /** More JSON files to write into the folder, by file name (e.g. `reference.json`). */
  extraFiles?: Record<string, unknown>;
}

/** A loaded model folder. */
export interface LoadedModel {
  /** The model with its trained weights. */
  model: LayersModel;
  /** The model card (`model_config.json`). */
  card: ModelCard;
  /** `scaler.json`. */
  scaler: Scaler;
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
  string: 0,
};

/** Serialises `model` to the standard layers format: `[model.json text, weights.bin bytes]`. */
async function serialise(model: tf.LayersModel): Promise<[string, Uint8Array]> {
  let result: [string, Uint8Array] | undefined;
  await model.save({
    save: (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const weights = artifacts.weightData === undefined
        ? new ArrayBuffer(0)
        : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: "layers-model",
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
      };
      result = [JSON.stringify(modelJson), new Uint8Array(weights)];
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    },
  });
  if (!result) throw new DataError("Expected tfjs to hand over the model artifacts, found none");
  return result;
}

/**
 * Writes a model folder at `dir` atomically (replacing an existing one unless
 * `overwrite` is false) and returns the SHA-256 of `weights.bin`.
 *
 * @example
 * ```ts
 * const sha = await saveModel("models/lstm", { config, scaler: dataset.scaler, history });
 * ```
 */
export async function saveModel(
  dir: string,
  model: LayersModel,
  options: SaveModelOptions,
): Promise<string> {
  const [modelJson, weights] = await serialise(model);
  const weightsSha256 = await sha256Hex(weights);
  const card = createCard(options.card, {
    weightsSha256,
    tfjs: tf.version.tfjs,
    module: denoJson.version,
  });
  const text = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  if (options.overwrite === false) {
    const taken = await Deno.lstat(dir).catch(() => null);
    if (taken) {
      throw new DataError(
        `Expected ${dir} to be free for the new model folder, found ${
          taken.isDirectory ? "a folder" : "a file"
        }`,
      );
    }
  }
  try {
    await atomicWriteDir(dir, async (tmp) => {
      await atomicWriteFile(join(tmp, "model.json"), modelJson);
      await atomicWriteFile(join(tmp, "weights.bin"), weights);
      await atomicWriteFile(join(tmp, "scaler.json"), text(options.scaler));
      await atomicWriteFile(join(tmp, "training_history.json"), text(options.history));
      await writeCard(tmp, card);
      for (const [name, value] of Object.entries(options.extraFiles ?? {})) {
        await atomicWriteFile(join(tmp, name), text(value));
      }
    }, { overwrite: options.overwrite ?? true });
  } catch (error) {
    if (error instanceof DataError) throw error;
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new DataError(`Expected to write the model folder ${dir}, found: ${why}`, {
      cause: error,
    });
  }
  return weightsSha256;
}

/** One line naming what is wrong, for the errors of this module. */
function firstLine(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/**
 * Reads `scaler.json` ({@linkcode scalerSchema}) and checks that it scales
 * the card's features, in the card's order, as many as the card's
 * `nFeatures`: a model is never used with another model's scaler, nor with
 * one whose feature count was changed.
 */
async function readScaler(dir: string, card: ModelCard): Promise<Scaler> {
  const path = join(dir, "scaler.json");
  const scaler = await readRequiredJsonFile(path, scalerSchema, {
    shape: "names, mean and std of equal length, finite means and positive deviations",
    missing: "is this a model folder?",
  });
  const names = scaler.names;
  const file = join(dir, CARD_FILE);
  let expected: string[];
  try {
    expected = featureNames(card.features);
  } catch (error) {
    throw new DataError(`${file}: ${firstLine(error)}`);
  }
  if (expected.length !== card.nFeatures) {
    throw new DataError(
      `Expected nFeatures in ${file} to count its ${expected.length} features, found ${card.nFeatures}`,
    );
  }
  if (names.length !== expected.length) {
    throw new DataError(
      `Expected ${path} to scale the ${expected.length} features of ${file}, found ${names.length}`,
    );
  }
  if (expected.join("\n") !== names.join("\n")) {
    throw new DataError(
      `Expected the features of ${file} (${expected.join(", ")}) to match ${path}, found ${
        names.join(", ")
      }`,
    );
  }
  return scaler;
}

/** The first `batch_input_shape` (or `batchInputShape`) in a layers topology, if any. */
function inputShape(topology: unknown): unknown[] | undefined {
  const stack: unknown[] = [topology];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    const record = node as Record<string, unknown>;
    const shape = record.batch_input_shape ?? record.batchInputShape;
    if (Array.isArray(shape)) return shape;
    stack.push(...Object.values(record).reverse());
  }
  return undefined;
}

const NUMERIC_DTYPES = ["float32", "int32", "bool", "uint8", "uint16", "float16"] as const;

const weightSpecSchema = z.looseObject({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(NUMERIC_DTYPES),
  quantization: z.looseObject({ dtype: z.enum(NUMERIC_DTYPES) }).optional(),
});

/**
 * The schema of `model.json` (the standard tfjs layers format this module
 * writes): a topology object and a weight manifest whose one file is
 * `weights.bin`, each weight with a name, a shape and a numeric dtype. What
 * the topology says is checked against the manifest by
 * {@linkcode checkTopology}.
 *
 * @example
 * ```ts
 * const parsed = modelJsonSchema.parse(JSON.parse(await Deno.readTextFile("models/lstm/v1/model.json")));
 * parsed.weightsManifest[0].weights.length;
 * ```
 */
export const modelJsonSchema = z.looseObject({
  modelTopology: z.looseObject({ class_name: z.string() }),
  weightsManifest: z.array(z.object({
    paths: z.tuple([z.literal("weights.bin")]),
    weights: z.array(weightSpecSchema),
  })),
});

/** Weight matrices per unit of a recurrent or dense layer: the gates it stacks. */
const GATES: Record<string, number> = { LSTM: 4, GRU: 3, SimpleRNN: 1, Dense: 1 };

/** Every `{class_name, config}` node of a topology, depth first. */
function* classNodes(node: unknown): Generator<Record<string, unknown>> {
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  if (typeof record.class_name === "string") yield record;
  for (const value of Object.values(record)) yield* classNodes(value);
}

/**
 * Checks a layers topology against tfjs and the manifest without building
 * the model: every class it names is one tfjs knows (a layer, initializer,
 * regularizer or constraint), and each recurrent or dense layer's weights in
 * the manifest have the shapes its units give (`kernel [·, gates·units]`,
 * `recurrent_kernel [units, gates·units]`, `bias [gates·units]`), so a
 * manifest whose shapes were swapped at the same byte count is refused here,
 * not at the first prediction.
 */
function checkTopology(
  topology: Record<string, unknown>,
  specs: readonly { name: string; shape: number[] }[],
  modelPath: string,
): void {
  const registry = tf.serialization.SerializationMap.getMap().classNameMap;
  const layers = new Map<string, { className: string; units: number }>();
  for (const node of classNodes(topology)) {
    const className = node.class_name as string;
    if (!(className in registry)) {
      throw new DataError(
        `Expected ${modelPath} to describe a tfjs layers model, found the unknown class ${
          JSON.stringify(className)
        }`,
      );
    }
    const config = node.config as Record<string, unknown> | undefined;
    const name = typeof node.name === "string" ? node.name : config?.name;
    const inner = config?.layer as
      | { class_name?: string; config?: { units?: unknown } }
      | undefined;
    const [cls, units] = className === "Bidirectional"
      ? [inner?.class_name ?? "", inner?.config?.units]
      : [className, config?.units];
    if (typeof name === "string" && cls in GATES && Number.isInteger(units)) {
      layers.set(name, { className: cls, units: units as number });
    }
  }
  for (const spec of specs) {
    const parts = spec.name.split("/");
    const layer = layers.get(parts[0]);
    if (!layer) continue;
    const width = GATES[layer.className] * layer.units;
    const leaf = parts[parts.length - 1];
    const expected: (number | null)[] | null = leaf === "kernel"
      ? [null, width]
      : leaf === "recurrent_kernel"
      ? [layer.units, width]
      : leaf === "bias"
      ? [width]
      : null;
    const ok = expected === null || (expected.length === spec.shape.length &&
      expected.every((d, i) => d === null || d === spec.shape[i]));
    if (!ok) {
      throw new DataError(
        `Expected the weight ${spec.name} in ${modelPath} to have the shape [${
          expected!.map((d) => d ?? "·").join(", ")
        }] of a ${layer.className} of ${layer.units} units, found [${spec.shape.join(", ")}]`,
      );
    }
  }
}

/** Everything in a model folder, read and checked, before tfjs builds the model. */
interface ModelFiles {
  topology: object;
  specs: tf.io.WeightsManifestEntry[];
  weights: Uint8Array;
  card: ModelCard;
  scaler: Scaler;
}

/**
 * Reads and checks every file of a model folder: `model.json` (topology and a
 * well-formed manifest), `weights.bin` (the size the manifest lists and the
 * SHA-256 the card records), the card, and the scaler (the card's features,
 * in order, as many as the model's input takes). The one gate of every load.
 */
async function readModelFiles(dir: string): Promise<ModelFiles> {
  const modelPath = join(dir, "model.json");
  const weightsPath = join(dir, "weights.bin");
  const json = await readRequiredJsonFile(modelPath, modelJsonSchema, {
    shape: "a tfjs layers model",
    expectation:
      "to list weights stored in weights.bin (a tfjs modelTopology and a weightsManifest of named, shaped, numeric weights)",
    missing: "is this a model folder?",
  });
  const specs = json.weightsManifest.flatMap((group) =>
    group.weights
  ) as tf.io.WeightsManifestEntry[];
  const expected = specs.reduce((sum, spec) => {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    return sum + spec.shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
  }, 0);
  let weights: Uint8Array;
  try {
    weights = await Deno.readFile(weightsPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(`Expected ${weightsPath} to exist, found no such file`);
    }
    throw new DataError(`Expected to read ${weightsPath}, found: ${firstLine(error)}`);
  }
  if (weights.byteLength !== expected) {
    throw new DataError(
      `Expected ${weightsPath} to hold ${expected} bytes as model.json lists, found ${weights.byteLength}`,
    );
  }
  checkTopology(json.modelTopology, specs, modelPath);
  const card = await readCard(dir);
  const sha = await sha256Hex(weights);
  if (sha !== card.weightsSha256) {
    throw new DataError(
      `Expected ${weightsPath} to have the SHA-256 that ${CARD_FILE} records (${
        card.weightsSha256.slice(0, 12)
      }…), found ${sha.slice(0, 12)}…: the weights were changed or corrupted`,
    );
  }
  // Custom features first: the card's features resolve only once their module has registered them.
  if (card.featuresModule) await loadFeaturesModule(dir, card.featuresModule, join(dir, CARD_FILE));
  const scaler = await readScaler(dir, card);
  const shape = inputShape(json.modelTopology);
  const wanted = [card.sequenceLength, card.nFeatures];
  if (
    shape && (shape.length !== 3 || shape.slice(1).some((d, i) => d !== null && d !== wanted[i]))
  ) {
    throw new DataError(
      `Expected the input of ${modelPath} to take windows of ${wanted[0]} × ${
        wanted[1]
      } as ${CARD_FILE} says, found ${JSON.stringify(shape)}`,
    );
  }
  return { topology: json.modelTopology, specs, weights, card, scaler };
}

/**
 * Checks a model folder as {@linkcode loadModel} does, without building the
 * model: every file present and well formed, `weights.bin` of the size
 * `model.json` lists and the SHA-256 the card records, the scaler matching
 * the card's features. Returns the card and scaler; a problem is one
 * `DataError` naming the file.
 *
 * @example
 * ```ts
 * const { card } = await checkModelFolder("models/lstm/v2");
 * ```
 */
export async function checkModelFolder(dir: string): Promise<{ card: ModelCard; scaler: Scaler }> {
  // An ensemble or regime model: its members are checked, and it answers with the card and
  // scaler its windows are built with (src/model/composite.ts).
  const composite = await readComposite(dir, checkModelFolder);
  if (composite) {
    return { card: composite.card, scaler: (await checkModelFolder(composite.base.dir)).scaler };
  }
  const { card, scaler } = await readModelFiles(dir);
  return { card, scaler };
}

/**
 * Loads a model folder written by {@linkcode saveModel}. Every file is checked
 * first ({@linkcode checkModelFolder}): a missing or corrupted file, a
 * `weights.bin` whose size does not match `model.json` or whose SHA-256 does
 * not match the card, or a scaler that does not match the card's features,
 * gives one `DataError` naming the file. Its recurrent layers run the fused
 * kernels unless `kernel: "stock"`.
 *
 * @example
 * ```ts
 * const { model, card, scaler } = await loadModel("models/lstm/v1");
 * ```
 */
export async function loadModel(
  dir: string,
  options: { kernel?: Kernel } = {},
): Promise<LoadedModel> {
  const modelPath = join(dir, "model.json");
  const { topology, specs, weights, card, scaler } = await readModelFiles(dir);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: topology,
      weightSpecs: specs,
      weightData: weights.slice().buffer,
    }));
  } catch (error) {
    throw new DataError(
      `Expected ${modelPath} to describe a tfjs layers model, found: ${firstLine(error)}`,
    );
  }
  useKernel(model, options.kernel ?? defaultKernel(tf.getBackend()));
  return { model, card, scaler };
}
