/**
 * @bonsai/parallel — data-parallel training of Bonsai models across Node worker threads
 * (tinypool): each worker runs its own wasm backend, gradients are averaged through shared
 * memory. Node only (worker_threads); @bonsai/core stays browser-safe.
 */
export { trainParallel, type TrainParallelOptions } from './train-parallel';
export { averageShards } from './average';
