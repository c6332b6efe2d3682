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
import type { Scaler } from "../features/mod.ts";
import type { FeatureSpec } from "../features/mod.ts";
import type { SplitInfo } from "../dataset/mod.ts";
import { atomicWriteDir, atomicWriteFile, sha256Hex } from "../util/fs.ts";
import { DataError } from "../util/errors.ts";
import type { Architecture, Hyperparameters } from "./architectures.ts";
import type { EpochRecord, Metrics } from "./train.ts";
import { defaultKernel, type Kernel, useKernel } from "./fast/layers.ts";

/** The content of `model_config.json`: what the model is and what it was trained on. */
export interface ModelConfig {
  /** Architecture name. */
  arch: Architecture;
  /** Model and training hyperparameters. */
  hyperparameters: Hyperparameters & { epochs: number; batchSize: number; patience: number };
  /** Features with their parameters, in column order. */
  features: FeatureSpec[];
  /** Bars per window. */
  sequenceLength: number;
  /** Features per bar. */
  nFeatures: number;
  /** Bars ahead the label looks. */
  horizon: number;
  /** Where the bars came from. */
  data: {
    source: string;
    ticker: string;
    interval: string;
    ranges: { train: SplitInfo; validation: SplitInfo; test: SplitInfo };
  };
  /** Seed of initialisation, shuffling and dropout. */
  seed: number;
  /** The tfjs backend that trained the model. */
  backend: string;
  /** Who ran the recurrent layers in training (absent in models saved before the option). */
  kernel?: Kernel;
  /** Library and module versions. */
  versions: { tfjs: string; module: string };
  /** Final metrics of the restored (best) weights on each split. */
  metrics: { train: Metrics; validation: Metrics; test: Metrics };
  /** Share of up labels in the test split (the always-up baseline's accuracy). */
  testBaseRate: number;
  /** ISO creation time. */
  createdAt: string;
  /** SHA-256 of `weights.bin`. */
  weightsSha256: string;
  /** Whether training was stopped by Ctrl-C. */
  interrupted: boolean;
  /** Epoch whose weights were kept. */
  bestEpoch: number;
  /** Epochs run. */
  epochsRun: number;
}

/** What {@linkcode saveModel} writes besides the model itself. */
export interface SaveModelOptions {
  /** The configuration; `weightsSha256`, `createdAt` and `versions` are filled in. */
  config: Omit<ModelConfig, "weightsSha256" | "createdAt" | "versions">;
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
  model: tf.LayersModel;
  /** `model_config.json`. */
  config: ModelConfig;
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
  model: tf.LayersModel,
  options: SaveModelOptions,
): Promise<string> {
  const [modelJson, weights] = await serialise(model);
  const weightsSha256 = await sha256Hex(weights);
  const config: ModelConfig = {
    ...options.config,
    versions: { tfjs: tf.version.tfjs, module: denoJson.version },
    createdAt: new Date().toISOString(),
    weightsSha256,
  };
  const text = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  try {
    await atomicWriteDir(dir, async (tmp) => {
      await atomicWriteFile(join(tmp, "model.json"), modelJson);
      await atomicWriteFile(join(tmp, "weights.bin"), weights);
      await atomicWriteFile(join(tmp, "scaler.json"), text(options.scaler));
      await atomicWriteFile(join(tmp, "training_history.json"), text(options.history));
      await atomicWriteFile(join(tmp, "model_config.json"), text(config));
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

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        `Expected ${path} to exist, found no such file (is this a model folder?)`,
      );
    }
    throw error;
  }
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error();
    return value;
  } catch {
    throw new DataError(`Expected ${path} to hold a JSON object, found corrupted content`);
  }
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
  const json = await readJson(modelPath);
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
  const config = await readJson(join(dir, "model_config.json")) as unknown as ModelConfig;
  const scaler = await readJson(join(dir, "scaler.json")) as unknown as Scaler;
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
  return { model, config, scaler };
}
