import { withDefaults, type FlagSpecs, type FlagValues } from '../args';
import { RecipeError, UsageError } from '../errors';
import { EXPORT_QUANTIZATIONS, IMPORTANCES, type PREPROCESS_PRESETS, ZOO_MODELS, type Recipe, type RecipeInput, type Step } from '../recipe';

type StepInput = RecipeInput['steps'][number];

/** A recipe command: its flags, allowed step types and how flags alone make a recipe. */
export interface RecipeCommand {
  name: 'train' | 'prune' | 'quantize' | 'distill' | 'eval' | 'compress';
  summary: string;
  usage: string;
  flags: FlagSpecs;
  /** Step types a `--recipe` may contain for this command (undefined: all). */
  allowed?: ReadonlySet<Step['type']>;
  /** Steps built from flags when no `--recipe` is given. */
  steps?: (f: FlagValues) => StepInput[];
  /** True when `--model`/`--import` is required without a recipe. */
  needsModel: boolean;
  /** Model used without `--recipe` and `--model`. */
  defaultModel?: RecipeInput['model'];
  /** Name of the one positional argument the command takes (`bonsai compress <model>`), if any. */
  positional?: 'model';
  /** False for commands that write no model (eval): the others need `--out` or a recipe `output`. */
  writesModel?: boolean;
}

/** `--quantize` of `bonsai compress`: tfjs weight encodings, or Bonsai's per-channel int8. */
export const COMPRESS_QUANTIZATIONS = [...EXPORT_QUANTIZATIONS, 'int8'] as const;

const num = (f: FlagValues, k: string): number | undefined => (typeof f[k] === 'number' ? (f[k] as number) : undefined);
const str = (f: FlagValues, k: string): string | undefined => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
const bool = (f: FlagValues, k: string): boolean | undefined => (typeof f[k] === 'boolean' ? (f[k] as boolean) : undefined);
/** Drops undefined values so zod defaults apply. */
function clean<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const trainFlags: FlagSpecs = {
  epochs: { type: 'number', integer: true, min: 0, valueName: 'n', default: 3, description: 'training epochs' },
  lr: { type: 'number', min: 0, exclusive: true, valueName: 'rate', defaultText: '2e-3 (train), 1e-3 (distill)', description: 'learning rate' },
  batchSize: { type: 'number', integer: true, min: 1, valueName: 'n', default: 64, description: 'batch size' },
};

/** The recipe commands. */
export const RECIPE_COMMANDS: readonly RecipeCommand[] = [
  {
    name: 'train',
    summary: 'train a model (zoo builder or saved) on MNIST',
    usage: 'bonsai train [--model <zoo-name|dir>] [--epochs 3] [--out out/dense]  |  bonsai train --recipe r.json   (default model: smallCnn 16-32)',
    flags: trainFlags,
    allowed: new Set(['train', 'eval', 'save', 'export']),
    steps: (f) => [clean({ type: 'train', epochs: num(f, 'epochs'), lr: num(f, 'lr'), batchSize: num(f, 'batchSize') }) as StepInput, { type: 'eval' }],
    needsModel: false,
    defaultModel: { zoo: 'smallCnn', options: { widths: [16, 32], dropout: 0.2 } },
  },
  {
    name: 'prune',
    summary: 'prune a saved model (structured channels or unstructured weights), then fine-tune',
    usage: 'bonsai prune --model out/dense [--method structured] [--ratio 0.5] [--fine-tune-epochs 1] [--kd] --out out/pruned',
    flags: {
      method: { type: 'string', choices: ['structured', 'unstructured'], default: 'structured', description: 'what to remove' },
      importance: { type: 'string', choices: IMPORTANCES, default: 'l1', description: 'importance criterion' },
      ratio: { type: 'number', min: 0, max: 1, exclusive: true, valueName: 'fraction', default: 0.5, description: 'fraction of channels / weights to remove' },
      global: { type: 'boolean', default: false, description: 'rank across layers instead of per layer' },
      fineTuneEpochs: { type: 'number', integer: true, min: 0, valueName: 'n', default: 1, description: 'fine-tuning epochs after pruning (0 = none)' },
      kd: { type: 'boolean', default: false, description: 'fine-tune with the unpruned model as distillation teacher (always on without labels)' },
    },
    allowed: new Set(['prune', 'gradualPrune', 'fineTune', 'train', 'eval', 'save', 'export']),
    steps: (f) => {
      const ft = num(f, 'fineTuneEpochs')!;
      const steps: StepInput[] = [
        clean({ type: 'prune', method: str(f, 'method') as 'structured', importance: str(f, 'importance') as 'l1', ratio: num(f, 'ratio')!, global: bool(f, 'global') }) as StepInput,
      ];
      if (ft > 0) steps.push(clean({ type: 'fineTune', epochs: ft, kd: bool(f, 'kd') }) as StepInput);
      steps.push({ type: 'eval' });
      return steps;
    },
    needsModel: true,
  },
  {
    name: 'quantize',
    summary: 'quantize a saved model to int8 (dynamic, static with calibration, or QAT)',
    usage: 'bonsai quantize --model out/dense [--method static] [--no-per-channel] --out out/int8',
    flags: {
      method: { type: 'string', choices: ['dynamic', 'static', 'qat'], default: 'static', description: 'quantization method' },
      perChannel: { type: 'boolean', default: true, description: 'per-channel weight scales (--no-per-channel for per-tensor)' },
      calibrationSamples: { type: 'number', integer: true, min: 1, valueName: 'n', default: 512, description: 'calibration samples for static' },
      epochs: { type: 'number', integer: true, min: 0, valueName: 'n', default: 1, description: 'QAT epochs' },
    },
    allowed: new Set(['quantize', 'train', 'fineTune', 'eval', 'save', 'export']),
    steps: (f) => [
      clean({ type: 'quantize', method: str(f, 'method') as 'static', perChannel: bool(f, 'perChannel'), calibrationSamples: num(f, 'calibrationSamples'), epochs: num(f, 'epochs') }) as StepInput,
      { type: 'eval' },
    ],
    needsModel: true,
  },
  {
    name: 'distill',
    summary: 'train a (smaller) student against a saved teacher with knowledge distillation',
    usage: 'bonsai distill --teacher out/dense [--model <zoo-name|dir>] [--epochs 3] [--temperature 4] [--alpha 0.7] --out out/student   (default student: smallCnn 8-16)',
    flags: {
      teacher: { type: 'string', alias: 't', valueName: 'dir', description: 'teacher model folder (required without --recipe)' },
      ...trainFlags,
      temperature: { type: 'number', min: 0, exclusive: true, valueName: 'T', default: 4, description: 'softmax temperature' },
      alpha: { type: 'number', min: 0, max: 1, valueName: 'a', default: 0.7, description: 'weight of the teacher term' },
    },
    allowed: new Set(['distill', 'train', 'fineTune', 'eval', 'save', 'export']),
    steps: (f) => {
      const teacher = str(f, 'teacher');
      if (!teacher) throw new UsageError('distill needs --teacher <dir> (or --recipe)', 'distill');
      return [
        clean({ type: 'distill', teacher: { load: teacher }, epochs: num(f, 'epochs'), lr: num(f, 'lr'), batchSize: num(f, 'batchSize'), temperature: num(f, 'temperature'), alpha: num(f, 'alpha') }) as StepInput,
        { type: 'eval' },
      ];
    },
    needsModel: false,
    // A student 4x narrower than the default teacher (smallCnn 16-32).
    defaultModel: { zoo: 'smallCnn', options: { widths: [8, 16], hidden: 64, dropout: 0.1 } },
  },
  {
    name: 'eval',
    summary: 'measure a saved model: accuracy, params, non-zeros, MACs, size, latency',
    usage: 'bonsai eval --model out/compressed [--latency-runs 30]',
    flags: { latencyRuns: { type: 'number', integer: true, min: 1, valueName: 'n', default: 20, description: 'timed forward passes' } },
    allowed: new Set(['eval', 'save', 'export']),
    steps: (f) => [clean({ type: 'eval', latencyRuns: num(f, 'latencyRuns') }) as StepInput],
    needsModel: true,
    writesModel: false,
  },
  {
    name: 'compress',
    summary: 'compress your model (tfjs LayersModel/GraphModel or Bonsai folder) on your data, written back in its own format with report.md + report.json; or run any recipe',
    usage: 'bonsai compress <model> --data <folder|file.npy|file.npz|mnist> [--prune 0.5] [--importance l1] [--fine-tune-epochs 1] [--quantize int8] [--target latency=0.5x --max-drop 1] --out <dir>  |  bonsai compress --recipe r.json --out <dir>',
    positional: 'model',
    flags: {
      prune: { type: 'number', min: 0, max: 1, exclusive: true, valueName: 'ratio', description: 'structured pruning: fraction of channels to remove (dependency-aware; the outputs keep their size)' },
      importance: { type: 'string', choices: IMPORTANCES, default: 'l1', description: 'channel importance criterion of --prune' },
      fineTuneEpochs: { type: 'number', integer: true, min: 0, valueName: 'n', default: 1, description: 'fine-tuning epochs after --prune, distilled from the input model (KD; without labels from its outputs only)' },
      quantize: {
        type: 'string',
        choices: COMPRESS_QUANTIZATIONS,
        description: 'uint8/uint16/float16: tfjs weight encodings that stock tfjs loads (smaller file, float math); int8: per-channel static int8 with calibration on the data, in Bonsai\'s own format',
      },
      calibrationSamples: { type: 'number', integer: true, min: 1, valueName: 'n', default: 512, description: 'calibration samples of --quantize int8' },
      latencyRuns: { type: 'number', integer: true, min: 1, valueName: 'n', default: 20, description: 'timed forward passes per evaluation' },
      target: { type: 'string', valueName: 'metric=value', description: 'compress to a budget (@bonsai/budget): latency=0.5x, macs=2e6, size=1MB, params=0.3x (x = fraction of the input model); per-group ratios chosen from measured sensitivity, then KD fine-tuning' },
      maxDrop: { type: 'number', min: 0, max: 100, valueName: 'points', default: 1, description: 'with --target: largest allowed accuracy (agreement) loss in points; the report says when it cannot be met' },
    },
    steps: (f) => {
      const steps: StepInput[] = [];
      const budget = str(f, 'target');
      if (budget !== undefined) steps.push(clean({ type: 'budget', target: budget, maxDrop: num(f, 'maxDrop'), fineTuneEpochs: num(f, 'fineTuneEpochs') }) as StepInput);
      const ratio = num(f, 'prune');
      const latencyRuns = num(f, 'latencyRuns');
      if (ratio !== undefined) {
        steps.push({ type: 'prune', method: 'structured', importance: str(f, 'importance') as 'l1', ratio });
        const ft = num(f, 'fineTuneEpochs')!;
        if (ft > 0) steps.push({ type: 'fineTune', epochs: ft, kd: true });
      }
      if (str(f, 'quantize') === 'int8') steps.push(clean({ type: 'quantize', method: 'static', perChannel: true, calibrationSamples: num(f, 'calibrationSamples') }) as StepInput);
      steps.push(clean({ type: 'eval', latencyRuns }) as StepInput);
      return steps;
    },
    needsModel: true,
  },
];

/** `--model` value -> model source: a zoo name, else a model folder or model.json (any format). */
export function modelFromFlag(value: string): RecipeInput['model'] {
  return (ZOO_MODELS as readonly string[]).includes(value) ? { zoo: value as (typeof ZOO_MODELS)[number] } : { load: value };
}

/** `224x224` or `224` -> `[224, 224]`. @throws UsageError otherwise. */
export function parseInputSize(text: string, command: string): [number, number] {
  const m = /^(\d+)(?:[x,](\d+))?$/.exec(text.trim());
  const h = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(h >= 1 && w >= 1)) throw new UsageError(`option "--input-size" expects <height>x<width> (e.g. 224x224), got "${text}"`, command);
  return [h, w];
}

/** The `data` section from `--data`, `--train-size`, `--test-size`, `--input-size`, `--preprocess` (only those given). */
function dataFromFlags(f: FlagValues, command: string): Record<string, unknown> {
  const data = str(f, 'data');
  const source = data === undefined ? {} : data === 'mnist' || data === 'synthetic' ? { dataset: data } : { path: data };
  const size = str(f, 'inputSize');
  return clean({
    ...source,
    trainSize: num(f, 'trainSize'),
    testSize: num(f, 'testSize'),
    inputSize: size === undefined ? undefined : parseInputSize(size, command),
    preprocess: str(f, 'preprocess') as (typeof PREPROCESS_PRESETS)[number] | undefined,
  });
}

/**
 * The recipe a command runs: `--recipe` (validated later) with flag overrides, or one built
 * from flags (defaults filled from the option definitions). Checks that a recipe's steps fit the
 * command (`compress` takes any). `model` is the positional `<model>` argument, if given.
 */
export function buildRecipe(cmd: RecipeCommand, explicit: FlagValues, fromFile: RecipeInput | undefined, model?: string): RecipeInput {
  const f = fromFile ? explicit : withDefaults(cmd.flags, explicit);
  const modelFlag = str(f, 'model') ?? model;
  const importFlag = str(f, 'import');
  if (str(f, 'model') && model) throw new UsageError(`give the model once: as <model> or as --model, not both`, cmd.name);
  if (modelFlag && importFlag) throw new UsageError('give --model or --import, not both', cmd.name);
  let recipe: RecipeInput;
  if (fromFile) recipe = { ...fromFile };
  else {
    if (cmd.needsModel && !modelFlag && !importFlag) throw new UsageError(`${cmd.name} needs ${cmd.positional ? '<model>' : '--model <dir>'} (or --recipe <file>)`, cmd.name);
    recipe = { model: { zoo: 'smallCnn' }, steps: cmd.steps!(f) };
    if (!modelFlag && !importFlag && cmd.defaultModel) recipe.model = cmd.defaultModel;
  }
  if (modelFlag) recipe.model = modelFromFlag(modelFlag);
  if (importFlag) recipe.model = { import: importFlag };
  const out = str(f, 'out');
  if (out) recipe.output = out;
  const q = str(f, 'quantize');
  if (cmd.name === 'compress' && q && q !== 'int8') recipe.outputWeights = q as (typeof EXPORT_QUANTIZATIONS)[number];
  if (cmd.name === 'compress' && q === 'int8' && fromFile) throw new UsageError('--quantize int8 adds a quantize step; with --recipe, put { "type": "quantize", "method": "static" } in the recipe', cmd.name);
  const dataFlags = dataFromFlags(f, cmd.name);
  if (Object.keys(dataFlags).length) {
    const base = typeof recipe.data === 'object' && recipe.data !== null && !Array.isArray(recipe.data) ? recipe.data : {};
    const merged: Record<string, unknown> = { ...base, ...dataFlags };
    if ('dataset' in dataFlags) delete merged.path;
    recipe.data = merged as RecipeInput['data'];
  }
  if (num(explicit, 'seed') !== undefined) recipe.seed = num(explicit, 'seed');
  if (str(f, 'backend')) recipe.backend = str(f, 'backend') as 'wasm';
  if (fromFile && cmd.allowed && Array.isArray(recipe.steps)) {
    recipe.steps.forEach((s, i) => {
      const type = (s as { type?: unknown }).type;
      if (typeof type === 'string' && !cmd.allowed!.has(type as Step['type'])) {
        throw new RecipeError(`step type "${type}" does not belong in \`bonsai ${cmd.name}\` (allowed: ${[...cmd.allowed!].join(', ')}); run the recipe with \`bonsai compress\``, `steps[${i}].type`);
      }
    });
  }
  return recipe;
}

/**
 * After validation: a command that writes a model must have somewhere to write it.
 * @throws UsageError (exit 2) when there is no `--out`, recipe `output`, or `save`/`export` step.
 */
export function checkHasOutput(cmd: RecipeCommand, recipe: Recipe): void {
  if (cmd.writesModel === false || recipe.output || recipe.steps.some((s) => s.type === 'save' || s.type === 'export')) return;
  throw new UsageError(`${cmd.name} needs --out <dir> (where to write the resulting model), or "output" (or a save/export step) in the recipe`, cmd.name);
}
