/**
 * @bonsai/cli — the `bonsai` command line: train, prune, quantize, distill, eval and compress
 * models from JSON recipes, and `bonsai demo`. Everything runs in-process through {@link main}.
 */
export { main, usage, commandHelp, VERSION, type MainOptions } from './main';
export { parseArgs, formatFlags, markdownFlags, withDefaults, defaultText, kebab, suggest, type FlagSpec, type FlagSpecs, type FlagValues, type ParsedArgs } from './args';
export { ProgressBar, formatDuration, type ProgressOptions, type ProgressValues } from './progress';
export { BufferSink, processIo, type CliIo, type TextSink } from './io';
export { EXIT, UsageError, RecipeError, ExportUnsupportedError, exitCodeOf, errorLine, errorJson } from './errors';
export {
  recipeSchema, stepSchema, modelSourceSchema, parseRecipe, parseRecipeText, loadRecipe, formatPath, ZOO_MODELS, STEP_TYPES, EXPORT_QUANTIZATIONS, IMPORTANCES, PREPROCESS_PRESETS,
  type Recipe, type RecipeInput, type Step, type StepOf, type ModelSource,
} from './recipe';
export { runRecipe, type PipelineResult, type StepResult, type RunRecipeOptions } from './pipeline';
export { RunContext, type RunOptions } from './context';
export { demoRecipe, DEMO_DEFAULTS, type DemoOptions } from './commands/demo-recipe';
export { commands, allFlags, type CommandInfo } from './commands/registry';
export { runInspect, type InspectResult, type TensorInfo } from './commands/inspect-command';
export { agreement, type Agreement } from '@bonsai/eval';
export { locateModel, formatOf, FORMAT_NAMES, type ModelFormat, type ModelLocation } from './model-format';
export { checkWritable } from './out-dir';
export { installProcessHandlers } from './process-handlers';
export { loadData, type DataLoader, type DataSplits, type LoadDataContext } from './data';
export { readmeOptionTables, renderReadme } from './option-docs';
export { exportLayers, type LayersExport } from './steps/export';
export { runExport, type ExportResult } from './commands/export-command';
