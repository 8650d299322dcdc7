import { fail, floatConst, requireNhwc, type TfImporter } from '../context';
import type { TfEmitter } from '../emit-context';
import { FLOAT_T, strAttr } from '../tf-attrs';

/** FusedBatchNorm / FusedBatchNormV3 in inference form -> `batchNorm` (scale, offset, mean, variance Consts). */
const batchNorm: TfImporter = (ctx) => {
  requireNhwc(ctx);
  if (ctx.attrs.bool('is_training', false)) fail(ctx, 'is_training=true (batch statistics) is not supported', 'is_training');
  const [scale, offset, mean, variance] = [1, 2, 3, 4].map((i) => floatConst(ctx, i));
  const x = ctx.tensor(0);
  const s = ctx.shape(x);
  const c = s[s.length - 1]!;
  for (const p of [scale!, offset!, mean!, variance!]) if (p.values.length !== c) fail(ctx, `"${p.name}" has ${p.values.length} values, the input has ${c} channels`);
  const id = ctx.node('batchNorm', [x], { epsilon: ctx.attrs.float('epsilon', 1e-3) });
  ctx.param(id, 'gamma', scale!.values, [c]);
  ctx.param(id, 'beta', offset!.values, [c]);
  ctx.param(id, 'movingMean', mean!.values, [c]);
  ctx.param(id, 'movingVariance', variance!.values, [c]);
  return [id];
};

/** Normalization: FusedBatchNorm, FusedBatchNormV3. */
export const normImporters: Record<string, TfImporter> = { FusedBatchNorm: batchNorm, FusedBatchNormV3: batchNorm };

/** batchNorm -> FusedBatchNormV3 (inference form). */
export const normEmitters: Record<string, TfEmitter> = {
  batchNorm(ctx) {
    const args = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((role) => {
      const p = ctx.param(role);
      return ctx.constant(`${ctx.name}/${role}`, p.values, p.shape, 'float');
    });
    return ctx.emit('FusedBatchNormV3', [ctx.inputs[0]!, ...args], { ...FLOAT_T, U: { type: 'DT_FLOAT' }, epsilon: { f: ctx.node.attrs.epsilon as number }, is_training: { b: false }, data_format: strAttr('NHWC') }, ctx.name);
  },
};
