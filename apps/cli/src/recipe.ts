import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { RecipeError } from './errors';

/** Zoo models a recipe can name. */
export const ZOO_MODELS = ['mlp300100', 'lenet5', 'smallCnn', 'vggNet', 'resnet20', 'resnet56', 'mobileNet', 'concatNet', 'vit'] as const;

/** Importance criteria of structured pruning (`l1`, `l2` and `random` also rank single weights). */
export const IMPORTANCES = ['l1', 'l2', 'bnScale', 'taylor', 'random'] as const;

const int = (min: number) => z.number().int().min(min);
const fraction = z.number().gt(0).lt(1);

/** Where the model comes from: a zoo builder, a saved Bonsai model, or a tfjs LayersModel `model.json`. */
export const modelSourceSchema = z
  .object({
    zoo: z.enum(ZOO_MODELS).optional(),
    /** Builder options (e.g. `{ "widths": [16, 32] }` for smallCnn). */
    options: z
      .object({
        widths: z.array(int(1)).min(1).optional(),
        hidden: int(1).optional(),
        dropout: z.number().min(0).lt(1).optional(),
        seed: int(0).optional(),
        /** Momentum of every batch-norm node (default 0.9: tracks statistics within short runs). */
        bnMomentum: z.number().min(0).lt(1).optional(),
      })
      .strict()
      .optional(),
    load: z.string().min(1).optional(),
    import: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const given = (['zoo', 'load', 'import'] as const).filter((k) => m[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `give exactly one of "zoo", "load" or "import" (got ${given.length ? given.map((k) => `"${k}"`).join(', ') : 'none'})` });
    }
    if (m.options && m.zoo === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['options'], message: '"options" only applies to "zoo" models' });
  });

/** Preprocessing presets for data read from files (how the model was trained to see pixels). */
export const PREPROCESS_PRESETS = ['[0,1]', '[-1,1]', 'imagenet', 'none'] as const;

const dataSchema = z
  .object({
    /** Built-in data; ignored when `path` is given. */
    dataset: z.enum(['mnist', 'synthetic']).default('mnist'),
    /** An image folder (one subfolder per class, or flat = unlabeled) or a .npy / .npz file. */
    path: z.string().min(1).optional(),
    /** Pixel preprocessing of file data: `[0,1]` (x/255), `[-1,1]`, `imagenet` (mean/std), `none` (values as stored); default: from the model (see `resolvePreprocess`), else `[0,1]`. */
    preprocess: z.enum(PREPROCESS_PRESETS).optional(),
    /** Resize file images to [height, width] (default: the model's input size). */
    inputSize: z.tuple([int(1), int(1)]).optional(),
    /** Fraction of file samples held out for evaluation (seeded, deterministic). */
    testFraction: z.number().gt(0).lt(1).default(0.2),
    trainSize: int(1).optional(),
    testSize: int(1).optional(),
    seed: int(0).default(42),
    batchSize: int(1).default(64),
  })
  .strict();

const trainFields = {
  epochs: int(0),
  lr: z.number().positive().optional(),
  batchSize: int(1).optional(),
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  schedule: z.enum(['cosine', 'step', 'constant']).default('cosine'),
  weightDecay: z.number().min(0).default(0),
  maxSteps: int(1).optional(),
  /** Training-time augmentation: `{ "shift": 2 }` translates each image by up to 2 pixels (seeded). */
  augment: z.object({ shift: int(0).max(8) }).strict().optional(),
  /** Measure test accuracy after every epoch (false: only the next eval step measures). */
  evalEachEpoch: z.boolean().default(true),
  /** Label smoothing of the one-hot targets, `(1 - s) * onehot + s / classes` (default 0). */
  labelSmoothing: z.number().min(0).lt(1).default(0),
  /** Worker threads computing each batch's gradient (@bonsai/parallel; default 1 = this thread); runs with a KD/distillation loss or mask-changing callbacks stay on one thread. */
  workers: int(1).max(64).default(1),
};

const kdFields = {
  temperature: z.number().positive().default(4),
  alpha: z.number().min(0).max(1).default(0.7),
};

/** `train`: supervised training with cross-entropy. */
const trainStep = z.object({ type: z.literal('train'), ...trainFields }).strict();
/** `fineTune`: training after compression, optionally distilled from the dense model (`kd: true`). */
const fineTuneStep = z.object({ type: z.literal('fineTune'), ...trainFields, kd: z.boolean().default(false), ...kdFields }).strict();
/** `distill`: train the current (student) model against a teacher (default: the dense snapshot). */
const distillStep = z.object({ type: z.literal('distill'), ...trainFields, teacher: modelSourceSchema.optional(), ...kdFields }).strict();
/** `prune`: one-shot structured (channels, physically removed) or unstructured (masks) pruning. */
const pruneStep = z
  .object({
    type: z.literal('prune'),
    method: z.enum(['structured', 'unstructured']),
    importance: z.enum(IMPORTANCES).default('l1'),
    ratio: fraction,
    global: z.boolean().default(false),
    ignored: z.array(z.string().min(1)).default([]),
    roundTo: int(1).optional(),
    iterativeSteps: int(1).default(1),
    /** Batches used to accumulate Taylor importance. */
    taylorBatches: int(1).default(8),
  })
  .strict();
/** `gradualPrune`: AGP (Zhu & Gupta) magnitude pruning during training, ending at `finalSparsity`. */
const gradualPruneStep = z
  .object({
    type: z.literal('gradualPrune'),
    ...trainFields,
    epochs: int(1),
    finalSparsity: fraction,
    initialSparsity: z.number().min(0).lt(1).default(0),
    global: z.boolean().default(true),
    frequency: int(1).default(10),
  })
  .strict();
/** `quantize`: int8 post-training (dynamic or static with calibration) or quantization-aware training. */
const quantizeStep = z
  .object({
    type: z.literal('quantize'),
    method: z.enum(['dynamic', 'static', 'qat']),
    dtype: z.enum(['int8', 'uint8', 'int4']).default('int8'),
    perChannel: z.boolean().default(true),
    symmetric: z.boolean().default(true),
    observer: z.enum(['minmax', 'movingAverage', 'percentile', 'mse']).default('minmax'),
    calibrationSamples: int(1).default(512),
    epochs: int(0).default(1),
    lr: z.number().positive().default(1e-4),
  })
  .strict();
/** `eval`: measure the current model (accuracy, params, non-zeros, MACs, size, latency). */
const evalStep = z.object({ type: z.literal('eval'), latencyRuns: int(1).default(20), latencyBatch: int(1).default(1) }).strict();
/** `save`: write the current model to a folder. */
const saveStep = z.object({ type: z.literal('save'), path: z.string().min(1) }).strict();
/** Weight encodings of a tfjs LayersModel export (stock tfjs loaders dequantize them to float32). */
export const EXPORT_QUANTIZATIONS = ['uint8', 'uint16', 'float16'] as const;
/**
 * `export`: write the current (float, possibly pruned) model as a stock tfjs LayersModel
 * (`model.json` + `weights.bin`, masks baked) that `tf.loadLayersModel` loads.
 */
const exportStep = z
  .object({
    type: z.literal('export'),
    format: z.enum(['layers']).default('layers'),
    /** Store kernels as uint8/uint16 (affine, per tensor) or float16; default float32. */
    quantize: z.enum(EXPORT_QUANTIZATIONS).optional(),
    output: z.string().min(1),
  })
  .strict();

/** `budget`: compress to a budget with @bonsai/budget (sensitivity, allocation, prune, KD fine-tune, measured report). */
const budgetStep = z
  .object({
    type: z.literal('budget'),
    /** `latency=0.5x`, `macs=2e6`, `size=1MB`, `params=0.3x` (comma-separated for several). */
    target: z.string().min(1),
    /** Largest allowed accuracy (agreement) loss in points. */
    maxDrop: z.number().min(0).max(100).default(1),
    fineTuneEpochs: int(0).default(1),
    valSamples: int(1).default(500),
    workers: int(1).max(64).default(2),
    latencyBatch: int(1).default(1),
  })
  .strict();

/** One recipe step. */
export const stepSchema = z.discriminatedUnion('type', [trainStep, fineTuneStep, distillStep, pruneStep, gradualPruneStep, quantizeStep, evalStep, saveStep, exportStep, budgetStep]);

/** Step types, in the order the docs list them. */
export const STEP_TYPES = ['train', 'fineTune', 'distill', 'prune', 'gradualPrune', 'quantize', 'eval', 'save', 'export', 'budget'] as const;

/** The whole recipe. */
export const recipeSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().optional(),
    description: z.string().optional(),
    backend: z.enum(['wasm', 'cpu']).default('wasm'),
    seed: int(0).default(0),
    model: modelSourceSchema,
    data: dataSchema.default({}),
    steps: z.array(stepSchema).min(1),
    output: z.string().min(1).optional(),
    /** Format of `output`: `same` = the format the model came in (Bonsai, tfjs LayersModel or GraphModel); int8 is always Bonsai's format. */
    outputFormat: z.enum(['same', 'bonsai', 'layers-model', 'graph-model']).default('same'),
    /** Weight encoding of a tfjs `output` (uint8/uint16 affine per tensor, float16); stock loaders dequantize it. */
    outputWeights: z.enum(EXPORT_QUANTIZATIONS).optional(),
    /** Write `report.md` and `report.json` beside the output model. */
    report: z.boolean().default(true),
  })
  .strict()
  .superRefine((r, ctx) => {
    const q = r.steps.findIndex((s) => s.type === 'quantize');
    if (q >= 0) {
      r.steps.forEach((s, i) => {
        if (i > q && s.type === 'export') {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['steps', i, 'type'],
            message: `"export" cannot follow the quantize step at steps[${q}]: per-channel int8 has no tfjs LayersModel equivalent; export the float/pruned model before quantizing, with "quantize": "uint8" for a ~4x smaller file`,
          });
        } else if (i > q && s.type !== 'eval' && s.type !== 'save') {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['steps', i, 'type'], message: `"${s.type}" cannot follow the quantize step at steps[${q}] (only "eval" and "save" can)` });
        }
      });
    }
  });

/** A validated recipe (defaults filled in). */
export type Recipe = z.output<typeof recipeSchema>;
/** A recipe as written in JSON (defaults optional). */
export type RecipeInput = z.input<typeof recipeSchema>;
/** One validated step. */
export type Step = Recipe['steps'][number];
/** A validated model source. */
export type ModelSource = z.output<typeof modelSourceSchema>;
/** A step of a given type. */
export type StepOf<T extends Step['type']> = Extract<Step, { type: T }>;

/** `['steps', 2, 'ratio']` -> `steps[2].ratio`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(issue: z.ZodIssue): string {
  switch (issue.code) {
    case z.ZodIssueCode.unrecognized_keys:
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case z.ZodIssueCode.invalid_union_discriminator:
      return `unknown step type: expected one of ${issue.options.map((o) => `"${String(o)}"`).join(', ')}`;
    case z.ZodIssueCode.invalid_type:
      return issue.received === 'undefined' ? `required field is missing (expected ${issue.expected})` : `expected ${issue.expected}, got ${issue.received}`;
    default:
      return issue.message;
  }
}

/**
 * Validates a parsed recipe object. Errors name the JSON path of every bad field.
 * @throws RecipeError (path = the first bad field's path).
 */
export function parseRecipe(raw: unknown, file?: string): Recipe {
  const r = recipeSchema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: formatPath(i.path), message: describe(i) }));
  const first = issues[0]!;
  const rest = issues.slice(1).map((i) => `\n  ${i.path || '(root)'}: ${i.message}`).join('');
  throw new RecipeError(`${first.message}${rest}`, first.path || '(root)', file);
}

/** Parses recipe JSON text. @throws RecipeError on invalid JSON or an invalid recipe. */
export function parseRecipeText(text: string, file?: string): Recipe {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RecipeError(`invalid JSON: ${(e as Error).message}`, '', file);
  }
  return parseRecipe(raw, file);
}

/** Reads and validates a recipe file. @throws RecipeError when it is missing or invalid. */
export async function loadRecipe(file: string): Promise<Recipe> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new RecipeError(`cannot read the recipe: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, '', file);
  }
  return parseRecipeText(text, file);
}
