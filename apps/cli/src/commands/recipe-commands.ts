import type { FlagSpecs, FlagValues } from '../args';
import { RecipeError, UsageError } from '../errors';
import { ZOO_MODELS, type RecipeInput, type Step } from '../recipe';

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
}

const num = (f: FlagValues, k: string): number | undefined => (typeof f[k] === 'number' ? (f[k] as number) : undefined);
const str = (f: FlagValues, k: string): string | undefined => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
const bool = (f: FlagValues, k: string): boolean | undefined => (typeof f[k] === 'boolean' ? (f[k] as boolean) : undefined);
/** Drops undefined values so zod defaults apply. */
function clean<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const trainFlags: FlagSpecs = {
  epochs: { type: 'number', integer: true, valueName: 'n', description: 'training epochs' },
  lr: { type: 'number', valueName: 'rate', description: 'learning rate' },
  batchSize: { type: 'number', integer: true, valueName: 'n', description: 'batch size (default 64)' },
};

/** The recipe commands. */
export const RECIPE_COMMANDS: readonly RecipeCommand[] = [
  {
    name: 'train',
    summary: 'train a model (zoo builder or saved) on MNIST',
    usage: 'bonsai train [--model <zoo-name|dir>] [--epochs 3] [--out out/dense]  |  bonsai train --recipe r.json   (default model: smallCnn 16-32)',
    flags: trainFlags,
    allowed: new Set(['train', 'eval', 'save', 'export']),
    steps: (f) => [clean({ type: 'train', epochs: num(f, 'epochs') ?? 3, lr: num(f, 'lr'), batchSize: num(f, 'batchSize') }) as StepInput, { type: 'eval' }],
    needsModel: false,
    defaultModel: { zoo: 'smallCnn', options: { widths: [16, 32], dropout: 0.2 } },
  },
  {
    name: 'prune',
    summary: 'prune a saved model (structured channels or unstructured weights), then fine-tune',
    usage: 'bonsai prune --model out/dense [--method structured] [--ratio 0.5] [--fine-tune-epochs 1] [--kd] --out out/pruned',
    flags: {
      method: { type: 'string', choices: ['structured', 'unstructured'], description: 'what to remove (default structured)' },
      importance: { type: 'string', choices: ['l1', 'l2', 'bnScale', 'taylor', 'random'], description: 'importance criterion (default l1)' },
      ratio: { type: 'number', valueName: 'fraction', description: 'fraction of channels / weights to remove (default 0.5)' },
      global: { type: 'boolean', description: 'rank across layers instead of per layer' },
      fineTuneEpochs: { type: 'number', integer: true, valueName: 'n', description: 'fine-tuning epochs after pruning (default 1; 0 = none)' },
      kd: { type: 'boolean', description: 'fine-tune with the unpruned model as distillation teacher' },
    },
    allowed: new Set(['prune', 'gradualPrune', 'fineTune', 'train', 'eval', 'save', 'export']),
    steps: (f) => {
      const ft = num(f, 'fineTuneEpochs') ?? 1;
      const steps: StepInput[] = [
        clean({ type: 'prune', method: (str(f, 'method') ?? 'structured') as 'structured', importance: str(f, 'importance') as 'l1' | undefined, ratio: num(f, 'ratio') ?? 0.5, global: bool(f, 'global') }) as StepInput,
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
      method: { type: 'string', choices: ['dynamic', 'static', 'qat'], description: 'quantization method (default static)' },
      perChannel: { type: 'boolean', description: 'per-channel weight scales (default on; --no-per-channel for per-tensor)' },
      calibrationSamples: { type: 'number', integer: true, valueName: 'n', description: 'calibration samples for static (default 512)' },
      epochs: { type: 'number', integer: true, valueName: 'n', description: 'QAT epochs (default 1)' },
    },
    allowed: new Set(['quantize', 'train', 'fineTune', 'eval', 'save', 'export']),
    steps: (f) => [
      clean({ type: 'quantize', method: (str(f, 'method') ?? 'static') as 'static', perChannel: bool(f, 'perChannel'), calibrationSamples: num(f, 'calibrationSamples'), epochs: num(f, 'epochs') }) as StepInput,
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
      temperature: { type: 'number', valueName: 'T', description: 'softmax temperature (default 4)' },
      alpha: { type: 'number', valueName: 'a', description: 'weight of the teacher term (default 0.7)' },
    },
    allowed: new Set(['distill', 'train', 'fineTune', 'eval', 'save', 'export']),
    steps: (f) => {
      const teacher = str(f, 'teacher');
      if (!teacher) throw new UsageError('distill needs --teacher <dir> (or --recipe)', 'distill');
      return [
        clean({ type: 'distill', teacher: { load: teacher }, epochs: num(f, 'epochs') ?? 3, lr: num(f, 'lr'), batchSize: num(f, 'batchSize'), temperature: num(f, 'temperature'), alpha: num(f, 'alpha') }) as StepInput,
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
    flags: { latencyRuns: { type: 'number', integer: true, valueName: 'n', description: 'timed forward passes (default 20)' } },
    allowed: new Set(['eval', 'save', 'export']),
    steps: (f) => [clean({ type: 'eval', latencyRuns: num(f, 'latencyRuns') }) as StepInput],
    needsModel: true,
  },
  {
    name: 'compress',
    summary: 'run a whole compression recipe (train, prune, fine-tune, quantize, distill, eval)',
    usage: 'bonsai compress --recipe recipes/prune-quantize.json [--out out/compressed]',
    flags: {},
    needsModel: false,
  },
];

/** `--model` value -> model source: a zoo name, else a saved-model folder. */
export function modelFromFlag(value: string): RecipeInput['model'] {
  return (ZOO_MODELS as readonly string[]).includes(value) ? { zoo: value as (typeof ZOO_MODELS)[number] } : { load: value };
}

/**
 * The recipe a command runs: `--recipe` (validated later) with flag overrides, or one built
 * from flags. Checks that a recipe's steps fit the command (`compress` takes any).
 */
export function buildRecipe(cmd: RecipeCommand, f: FlagValues, fromFile: RecipeInput | undefined): RecipeInput {
  const modelFlag = str(f, 'model');
  const importFlag = str(f, 'import');
  if (modelFlag && importFlag) throw new UsageError('give --model or --import, not both', cmd.name);
  let recipe: RecipeInput;
  if (fromFile) recipe = { ...fromFile };
  else {
    if (!cmd.steps) throw new UsageError(`${cmd.name} needs --recipe <file>`, cmd.name);
    if (cmd.needsModel && !modelFlag && !importFlag) throw new UsageError(`${cmd.name} needs --model <dir> (or --import <dir>, or --recipe <file>)`, cmd.name);
    recipe = { model: { zoo: 'smallCnn' }, steps: cmd.steps(f) };
    if (!modelFlag && !importFlag && cmd.defaultModel) recipe.model = cmd.defaultModel;
  }
  if (modelFlag) recipe.model = modelFromFlag(modelFlag);
  if (importFlag) recipe.model = { import: importFlag };
  const out = str(f, 'out');
  if (out) recipe.output = out;
  const dataFlags = clean({ trainSize: num(f, 'trainSize'), testSize: num(f, 'testSize'), dataset: str(f, 'dataset') as 'mnist' | undefined });
  if (Object.keys(dataFlags).length) {
    const base = typeof recipe.data === 'object' && recipe.data !== null && !Array.isArray(recipe.data) ? recipe.data : {};
    recipe.data = { ...base, ...dataFlags };
  }
  if (num(f, 'seed') !== undefined) recipe.seed = num(f, 'seed');
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
