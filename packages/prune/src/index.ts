/** @bonsai/prune — unstructured (mask) and structured (dependency-graph) pruning. */
export * from './structured/index';
export * from './unstructured/index';
