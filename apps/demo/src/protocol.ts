import type { BackendInfo } from '@bonsai/core';

/** Compression methods the page offers. */
export type MethodId = 'unstructured' | 'structured' | 'slimming' | 'gradual' | 'int8' | 'kd';

/** A method as shown in the picker. */
export interface MethodInfo {
  id: MethodId;
  label: string;
  /** What the ratio means for this method, or undefined when it takes none (int8). */
  ratioLabel?: string;
  note: string;
}

/** Measured numbers of one model. */
export interface Metrics {
  accuracy: number;
  params: number;
  nonZero: number;
  macs: number;
  effectiveMacs: number;
  /** Bytes of the downloaded files (model.json + weights). */
  bytes: number;
  /** The same files gzipped (what sparsity buys on the wire). */
  gzipBytes: number;
  /** Median latency of one digit (batch 1), ms. */
  latencyMs: number;
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

/** Messages the page sends to the worker. */
export type Request =
  | { type: 'init'; assetBase: string }
  | { type: 'train'; epochs: number; trainSize: number }
  | { type: 'load'; json: string; weights: ArrayBuffer }
  | { type: 'compress'; method: MethodId; ratio: number }
  | { type: 'predict'; pixels: Float32Array }
  | { type: 'sample'; index: number }
  | { type: 'export' };

/** Messages the worker posts back. */
export type Response =
  | { type: 'ready'; backend: BackendInfo; methods: MethodInfo[]; trainCount: number; testCount: number }
  | { type: 'progress'; task: string; fraction: number; text: string }
  | { type: 'model'; metrics: Metrics; layers: LayerRow[]; source: 'trained' | 'loaded' }
  | { type: 'compressed'; method: MethodId; ratio: number; before: Metrics; after: Metrics; layers: LayerRow[]; sweep: CurvePoint[]; point: CurvePoint; seconds: number }
  | { type: 'prediction'; dense: number[]; compressed?: number[] }
  | { type: 'sample'; pixels: Float32Array; label: number; index: number }
  | { type: 'exported'; files: DownloadFile[] }
  | { type: 'error'; message: string };
