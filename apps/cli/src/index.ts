/**
 * @bonsai/cli — the `bonsai` command line: train, prune, quantize, distill, eval and compress
 * models from JSON recipes, and `bonsai demo`. Everything runs in-process through {@link main}.
 */
// Load tfjs-core's main entry before @bonsai/core: under vitest, core's import of
// register_all_gradients otherwise defines the global Tensor class without op handlers
// (Tensor.clone fails in BN gradients). Harmless in built bundles.
import '@tensorflow/tfjs-core';
export { main, usage, commandHelp, VERSION } from './main';
export { parseArgs, formatFlags, kebab, suggest, type FlagSpec, type FlagSpecs, type FlagValues, type ParsedArgs } from './args';
export { ProgressBar, formatDuration, type ProgressOptions, type ProgressValues } from './progress';
export { BufferSink, processIo, type CliIo, type TextSink } from './io';
export { EXIT, UsageError, RecipeError, StepUnavailableError, ExportUnsupportedError, exitCodeOf } from './errors';
export {
  recipeSchema, stepSchema, modelSourceSchema, parseRecipe, parseRecipeText, loadRecipe, formatPath, ZOO_MODELS, STEP_TYPES, EXPORT_QUANTIZATIONS,
  type Recipe, type RecipeInput, type Step, type StepOf, type ModelSource,
} from './recipe';
export { runRecipe, type PipelineResult, type StepResult, type RunRecipeOptions } from './pipeline';
export { RunContext, type RunOptions } from './context';
export { demoRecipe, type DemoOptions } from './commands/demo-recipe';
export { exportLayers, type LayersExport } from './steps/export';
export { runExport, type ExportResult } from './commands/export-command';
