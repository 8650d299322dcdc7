import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from './errors';
import type { Shape } from './ir/types';

/**
 * A named parameter: a `tf.Variable` plus an optional 0/1 mask. While a mask is attached the
 * executor uses `value * mask` (torch's weight_orig / weight_mask reparametrization), so
 * gradients of masked entries are zero and training cannot revive them.
 */
export class Param {
  private variable: tf.Variable;
  private maskTensor: tf.Tensor | undefined;

  constructor(
    /** Full name `${nodeId}/${role}`. */
    readonly name: string,
    value: tf.Tensor,
    /** False for running statistics (BN moving mean/variance). */
    readonly trainable = true,
  ) {
    this.variable = tf.variable(value, trainable);
  }

  /** Node id part of the name. */
  get nodeId(): string {
    return this.name.slice(0, this.name.lastIndexOf('/'));
  }

  /** Role part of the name (`kernel`, `bias`, `gamma`, ...). */
  get role(): string {
    return this.name.slice(this.name.lastIndexOf('/') + 1);
  }

  /** Shape of the parameter. */
  get shape(): number[] {
    return this.variable.shape;
  }

  /** Number of elements. */
  get size(): number {
    return this.variable.size;
  }

  /** The raw variable (unmasked values). Do not dispose it. */
  get value(): tf.Variable {
    return this.variable;
  }

  /** The attached mask, if any. Do not dispose it. */
  get mask(): tf.Tensor | undefined {
    return this.maskTensor;
  }

  /** Value the model computes with: `value * mask` when masked. Call inside `tf.tidy`. */
  effective(): tf.Tensor {
    return this.maskTensor ? tf.mul(this.variable, this.maskTensor) : this.variable;
  }

  /** Attaches (or replaces) a 0/1 mask of the same shape; the mask is copied. */
  setMask(mask: tf.Tensor): void {
    if (!sameShape(mask.shape, this.shape)) {
      throw new ShapeError(`mask of shape [${mask.shape.join(', ')}] does not fit param "${this.name}" of shape [${this.shape.join(', ')}]`);
    }
    const next = tf.tidy(() => tf.cast(tf.notEqual(mask, 0), 'float32'));
    this.maskTensor?.dispose();
    this.maskTensor = next;
  }

  /** Folds the mask into the value and drops it (torch's `prune.remove`). */
  bake(): void {
    if (!this.maskTensor) return;
    const m = this.maskTensor;
    tf.tidy(() => this.variable.assign(tf.mul(this.variable, m)));
    m.dispose();
    this.maskTensor = undefined;
  }

  /** Drops the mask without folding it in (restores the original values). */
  dropMask(): void {
    this.maskTensor?.dispose();
    this.maskTensor = undefined;
  }

  /** Overwrites the values (same shape). */
  assign(value: tf.Tensor): void {
    if (!sameShape(value.shape, this.shape)) {
      throw new ShapeError(`value of shape [${value.shape.join(', ')}] does not fit param "${this.name}" of shape [${this.shape.join(', ')}]`);
    }
    tf.tidy(() => this.variable.assign(tf.cast(value, 'float32')));
  }

  /**
   * Replaces the value with one of a possibly different shape (physical pruning); the mask is
   * replaced by `mask` (or dropped). Shares the inputs' data (tensors are immutable): the caller may dispose them.
   */
  replace(value: tf.Tensor, mask?: tf.Tensor): void {
    // The variable shares `value`'s data (no copy; wasm's Cast copies even to the same dtype).
    const cast = value.dtype === 'float32' ? value : tf.cast(value, 'float32');
    const next = tf.variable(cast, this.trainable);
    if (cast !== value) cast.dispose();
    this.variable.dispose();
    this.variable = next;
    this.dropMask();
    if (mask) this.setMask(mask);
  }

  /** Fraction of zeros in the effective value. */
  sparsity(): number {
    if (this.size === 0) return 0;
    const zeros = tf.tidy(() => tf.sum(tf.cast(tf.equal(this.effective(), 0), 'float32')).dataSync()[0]!);
    return zeros / this.size;
  }

  /** Frees the variable and mask. */
  dispose(): void {
    this.variable.dispose();
    this.dropMask();
  }
}

function sameShape(a: readonly number[], b: Shape): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Throws unless `name` looks like `node/role`. */
export function assertParamName(name: string): void {
  if (!/^.+\/[^/]+$/.test(name)) throw new ConfigError(`Param name "${name}" must look like "node/role"`, {}, { code: 'PARAM' });
}
