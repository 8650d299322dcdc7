import type { BackendInfo } from '@bonsai/core';

/** Compression methods the page offers. */
export type MethodId = 'unstructured' | 'structured' | 'slimming' | 'gradual' | 'int8' | 'kd';

/** Weight encoding of a download in a stock tfjs format (the manifest's own quantization). */
export type WeightQuant = 'float32' | 'uint8' | 'float16';

/** Where the model being compressed comes from, and so the format its downloads use. */
export type ModelFormat = 'bonsai' | 'layers-model' | 'graph-model';

/** A method as shown in the picker. */
export interface MethodInfo {
  id: MethodId;
  label: string;
  /** What the ratio means for this method, or undefined when it takes none (int8). */
  ratioLabel?: string;
  note: string;
}

/** A method's availability for the current model: why it cannot run, when it cannot. */
export interface MethodAvailability {
  id: MethodId;
  disabled?: string;
}

/** What the page shows about a model before compressing it (the inspect step). */
export interface ModelSummary {
  name: string;
  format: ModelFormat;
  source: 'pretrained' | 'trained' | 'loaded';
  /** Per-sample input shape `[h, w, c]` and output shape `[classes]`. */
  inputShape: number[];
  outputShape: number[];
  /** Op counts, most frequent first. */
  ops: Array<{ op: string; count: number }>;
  params: number;
  macs: number;
  /** Bytes of the files as loaded. */
  bytes: number;
  /** Weights stored quantized in the loaded file (e.g. "float16", "uint8", "int8 (Bonsai)"), if any. */
  storedAs?: string;
  methods: MethodAvailability[];
  /** The model takes 28x28x1 digits and gives 10 classes: the drawing pad works with it. */
  drawable: boolean;
}

/** The data compression and measurement use. */
export interface DataSummary {
  kind: 'mnist' | 'images';
  /** Samples used to fine-tune and to evaluate. */
  trainCount: number;
  evalCount: number;
  /** Labels that match the model's classes: accuracy is measured; else agreement with the original. */
  labeled: boolean;
  classes?: string[];
  note: string;
}

/** Measured numbers of one model. */
export interface Metrics {
  /** Accuracy on labeled data, or top-1 agreement with the original model on unlabeled data. */
  accuracy: number;
  params: number;
  nonZero: number;
  macs: number;
  effectiveMacs: number;
  /** Bytes of the downloaded files (model.json + weights). */
  bytes: number;
  /** The same files gzipped (what sparsity buys on the wire). */
  gzipBytes: number;
  /** Median latency of one batch, ms (batch size in {@link Latency.batch}). */
  latencyMs: number;
  /** Unlabeled data: the rest of @bonsai/eval's agreement with the original (top-1 is {@link accuracy}). */
  agreement?: AgreementDetails;
}

/** Agreement of a compressed model with the original beyond top-1 (see @bonsai/eval's `Agreement`). */
export interface AgreementDetails {
  /** Fraction whose top-1 class is among the original's top-k. */
  top5: number;
  /** k of {@link top5} (5, or fewer classes). */
  k: number;
  /** Mean KL(original ‖ compressed) of the softmax outputs, nats (Bernoulli for a single score). */
  meanKl: number;
  /** Largest |original − compressed| over all output values. */
  maxAbsDiff: number;
  /** A single score per sample, compared as the same decision. */
  binary: boolean;
}

/** Interleaved latency of the original and the compressed model. */
export interface Latency {
  batch: number;
  rounds: number;
  /** Median ms per batch over every timed run. */
  beforeMs: number;
  afterMs: number;
  /** Median of the per-round ratios after / before, and their smallest and largest. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
}

/** Per-layer view for the chart: weights and output channels before/after. */
export interface LayerRow {
  node: string;
  params: number;
  sparsity: number;
  channelsBefore: number;
  channelsAfter: number;
}

/** One (sparsity, accuracy) point. */
export interface CurvePoint {
  sparsity: number;
  accuracy: number;
  label: string;
}

/** One file of a model download. */
export interface DownloadFile {
  name: string;
  data: string | ArrayBuffer;
}

/** One kept compression run. */
export interface Run {
  id: number;
  model: string;
  format: ModelFormat;
  method: MethodId;
  label: string;
  ratio: number;
  quant: WeightQuant | 'int8';
  kd: boolean;
  metric: 'accuracy' | 'agreement';
  before: Metrics;
  after: Metrics;
  latency: Latency;
  layers: LayerRow[];
  seconds: number;
  /** The run's model can be drawn against (28x28x1 in, 10 out). */
  drawable: boolean;
  /** How the compressed model computes (int8: layers on the integer WASM kernels), if the method says. */
  detail?: string;
}

/** Live estimate of a compression setting before it runs. */
export interface Estimate {
  method: MethodId;
  ratio: number;
  params: number;
  macs: number;
  nonZero: number;
  /** Estimated download bytes (float32 params, or quantized). */
  bytes: number;
}

/** Options of a compression run. */
export interface CompressOptions {
  method: MethodId;
  ratio: number;
  quant: WeightQuant;
  /** Fine-tune with knowledge distillation from the original model. */
  kd: boolean;
}

/** Messages the page sends to the worker. */
export type Request =
  | { type: 'init'; assetBase: string }
  | { type: 'train'; epochs: number; trainSize: number }
  | { type: 'loadFiles'; files: File[] }
  | { type: 'pretrained' }
  | { type: 'images'; files: File[]; /** Each file's path below the picked or dropped folder (class subfolders = labels). */ paths: string[]; preprocess: string }
  | { type: 'estimate'; method: MethodId; ratio: number; quant: WeightQuant }
  | ({ type: 'compress' } & CompressOptions)
  | { type: 'select'; run: number | null }
  | { type: 'predict'; pixels: Float32Array }
  | { type: 'sample'; index: number }
  | { type: 'export'; run: number | null }
  | { type: 'bench'; runs: number; batch: number };

/** Messages the worker posts back. */
export type Response =
  | { type: 'ready'; backend: BackendInfo; methods: MethodInfo[]; trainCount: number; testCount: number; isolated: boolean }
  | { type: 'backendFailed'; message: string }
  | { type: 'progress'; task: string; fraction: number; text: string; loss?: number; step?: number }
  | { type: 'model'; summary: ModelSummary; data: DataSummary; metrics: Metrics; layers: LayerRow[] }
  | { type: 'data'; data: DataSummary; metrics: Metrics }
  | { type: 'estimate'; estimate: Estimate }
  | { type: 'compressed'; run: Run; sweep: CurvePoint[] }
  | { type: 'prediction'; dense: number[]; compressed?: number[]; run: number | null }
  | { type: 'sample'; pixels: Float32Array; label: number; index: number }
  | { type: 'exported'; files: DownloadFile[] }
  | { type: 'bench'; samples: number[]; threads: boolean }
  | { type: 'error'; message: string };
