export { extractBlocks, type CodeBlock } from './extract';
export { runBlock, sourcePaths, type BlockRun, type RunOptions } from './run-block';
