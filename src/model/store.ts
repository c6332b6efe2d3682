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
import { atomicWriteDir, atomicWriteFile, readJsonObject, sha256Hex } from "../util/fs.ts";
import { DataError } from "../util/errors.ts";
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

/**
 * Reads `scaler.json` and checks that it scales the card's features, in the
 * card's order: a model is never used with another model's scaler.
 */
async function readScaler(dir: string, card: ModelCard): Promise<Scaler> {
  const path = join(dir, "scaler.json");
  const value = await readJsonObject(path);
  const { names, mean, std } = value as Partial<Scaler>;
  const ok = Array.isArray(names) && Array.isArray(mean) && Array.isArray(std) &&
    mean.length === names.length && std.length === names.length &&
    [...mean, ...std].every((x) => typeof x === "number");
  if (!ok) {
    throw new DataError(`Expected ${path} to hold names, mean and std of equal length, found none`);
  }
  const file = join(dir, CARD_FILE);
  let expected: string[];
  try {
    expected = featureNames(card.features);
  } catch (error) {
    throw new DataError(`${file}: ${error instanceof Error ? error.message : error}`);
  }
  if (expected.join("\n") !== names.join("\n")) {
    throw new DataError(
      `Expected the features of ${file} (${expected.join(", ")}) to match ${path}, found ${
        names.join(", ")
      }`,
    );
  }
  return value as unknown as Scaler;
}

/**
 * Loads a model folder written by {@linkcode saveModel}. A missing or
 * corrupted file, or a `weights.bin` whose size does not match `model.json`,
 * gives one `DataError` naming the file. Its recurrent layers run the fused
 * kernels unless `kernel: "stock"`.
 *
 * @example
 * ```ts
 * const { model, config, scaler } = await loadModel("models/lstm");
 * ```
 */
export async function loadModel(
  dir: string,
  options: { kernel?: Kernel } = {},
): Promise<LoadedModel> {
  const modelPath = join(dir, "model.json");
  const weightsPath = join(dir, "weights.bin");
  const json = await readJsonObject(modelPath);
  const manifest = json.weightsManifest as tf.io.WeightsManifestConfig | undefined;
  if (!json.modelTopology || !Array.isArray(manifest)) {
    throw new DataError(
      `Expected ${modelPath} to hold modelTopology and weightsManifest, found ${
        Object.keys(json).join(", ") || "neither"
      }`,
    );
  }
  const specs = manifest.flatMap((group) => group.weights);
  const expected = specs.reduce((sum, spec) => {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    return sum + spec.shape.reduce((a, b) => a * b, 1) * (BYTES[dtype] ?? 4);
  }, 0);
  let weights: Uint8Array;
  try {
    weights = await Deno.readFile(weightsPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(`Expected ${weightsPath} to exist, found no such file`);
    }
    throw error;
  }
  if (weights.byteLength !== expected) {
    throw new DataError(
      `Expected ${weightsPath} to hold ${expected} bytes as model.json lists, found ${weights.byteLength}`,
    );
  }
  const card = await readCard(dir);
  const scaler = await readScaler(dir, card);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology as object,
      weightSpecs: specs,
      weightData: weights.slice().buffer,
    }));
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new DataError(`Expected ${modelPath} to describe a tfjs layers model, found: ${why}`);
  }
  useKernel(model, options.kernel ?? defaultKernel(tf.getBackend()));
  return { model, card, scaler };
}
