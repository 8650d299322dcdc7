import { ConfigError, Model, ShapeError, type Param } from '@bonsai/core';
import { attach, countZeros, maskValues, rawValues, type MaskChange } from './mask';
import { axisLayout, normalizeAxis } from './layout';
import { resolveTarget, type PruneTarget } from './targets';

/** Options of {@link nmStructured}. */
export interface NmOptions {
  /** Entries kept per group (default 2). */
  n?: number;
  /** Group size: consecutive entries along the input axis (default 4). */
  m?: number;
  /**
   * Axis along which groups of `m` are formed. Default: the param's input axis (`inAxis` of its
   * op spec when a model is given; else 0 for rank-2 dense kernels, 2 for rank-4 conv kernels).
   */
  axis?: number;
  /** Restrict a model target to these params (names or node ids); default: every `kernel`. */
  params?: readonly string[];
}

/**
 * N:M semi-structured sparsity (NVIDIA's 2:4): in every group of `m` consecutive entries along
 * the input axis, keeps the `n` with the largest effective magnitude. Combined with any existing
 * mask (groups that were already sparser stay so). Throws a ShapeError when the axis length is
 * not a multiple of `m`.
 */
export function nmStructured(target: PruneTarget, options: NmOptions = {}): MaskChange[] {
  const n = options.n ?? 2;
  const m = options.m ?? 4;
  if (!Number.isInteger(m) || m < 1) throw new ConfigError(`nmStructured: m must be a positive integer, got ${String(m)}`, { m });
  if (!Number.isInteger(n) || n < 0 || n > m) throw new ConfigError(`nmStructured: n must be an integer in [0, m=${m}], got ${String(n)}`, { n });
  const model = target instanceof Model ? target : undefined;
  return resolveTarget(target, options.params).map((p) => {
    const axis = normalizeAxis(p, options.axis ?? inputAxis(p, model), 'axis');
    const l = axisLayout(p, axis);
    if (l.axisSize % m !== 0) {
      throw new ShapeError(`param "${p.name}" has ${l.axisSize} entries along axis ${axis}, not a multiple of m=${m}`);
    }
    const mask = maskValues(p);
    const values = rawValues(p);
    const before = countZeros(mask);
    const idx = new Array<number>(m);
    for (let o = 0; o < l.outer; o++) {
      for (let g = 0; g < l.axisSize; g += m) {
        for (let j = 0; j < l.inner; j++) {
          for (let t = 0; t < m; t++) idx[t] = (o * l.axisSize + g + t) * l.inner + j;
          const mag = (i: number) => Math.abs(values[i]! * mask[i]!);
          const order = [...idx].sort((a, b) => mag(b) - mag(a) || a - b);
          for (let t = n; t < m; t++) mask[order[t]!] = 0;
        }
      }
    }
    return attach(p, mask, before);
  });
}

/** The input axis of a weight: from the model's op spec, else the Bonsai kernel convention. */
function inputAxis(p: Param, model: Model | undefined): number {
  if (model) {
    const spec = model.graph.paramSpecs(p.nodeId)[p.role];
    if (spec?.inAxis !== undefined) return spec.inAxis;
  }
  if (p.shape.length === 2) return 0;
  if (p.shape.length === 4) return 2;
  throw new ConfigError(`nmStructured: param "${p.name}" of shape [${p.shape.join(', ')}] has no known input axis; pass { axis }`, { param: p.name });
}
