import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@bonsai/core';
import { l2Normalize } from './attention';
import { checkMinRank, checkNonNegative } from './validate';

/** Options of {@link rkdLoss}. */
export interface RkdOptions {
  /** Weight of the distance term (default 1, the paper's lambda_D). */
  distanceWeight?: number;
  /** Weight of the angle term (default 2, the paper's lambda_A). */
  angleWeight?: number;
}

/** Flattens `[n, ...]` to `[n, features]`. */
function embed(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0]!, -1]) as tf.Tensor2D;
}

/** Euclidean distances `[n, n]` between the rows of `[n, ...]` (zero diagonal, finite gradients). */
export function pairwiseDistances(x: tf.Tensor): tf.Tensor2D {
  checkMinRank('pairwiseDistances', x, 2);
  return tf.tidy(() => {
    const e = embed(x);
    const n = e.shape[0];
    const sq = tf.sum(tf.square(e), 1);
    const prod = tf.matMul(e, tf.transpose(e));
    const d2 = tf.sub(tf.add(tf.reshape(sq, [n, 1]), tf.reshape(sq, [1, n])), tf.mul(prod, 2));
    const offDiagonal = tf.sub(1, tf.eye(n));
    return tf.mul(tf.sqrt(tf.maximum(d2, 1e-12)), offDiagonal) as tf.Tensor2D;
  });
}

/** Distances divided by their mean over the positive entries (the paper's normalizer mu). */
function normalizedDistances(x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const d = pairwiseDistances(x);
    const count = tf.maximum(tf.sum(tf.sign(d)), 1); // entries are >= 0: sign counts the positive ones
    const mu = tf.maximum(tf.div(tf.sum(d), count), 1e-12);
    return tf.div(d, mu) as tf.Tensor2D;
  });
}

/** Cosines `[n, n, n]`: entry (i, j, k) is the cosine of the angle at e_i between e_j and e_k. */
export function tripletAngles(x: tf.Tensor): tf.Tensor3D {
  checkMinRank('tripletAngles', x, 2);
  return tf.tidy(() => {
    const e = embed(x);
    const diff = tf.sub(tf.expandDims(e, 0), tf.expandDims(e, 1));
    const unit = l2Normalize(diff, 2) as tf.Tensor3D;
    return tf.matMul(unit, tf.transpose(unit, [0, 2, 1])) as tf.Tensor3D;
  });
}

/** Smooth L1 (Huber, beta 1) of `a - b`, averaged over all entries (torch's `smooth_l1_loss`). */
export function smoothL1(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    // 0.5 min(|d|, 1)^2 + (|d| - min(|d|, 1)): comparison-free, so every op has a gradient.
    const d = tf.abs(tf.sub(a, b));
    const m = tf.minimum(d, 1);
    return tf.mean(tf.add(tf.mul(tf.square(m), 0.5), tf.sub(d, m))) as tf.Scalar;
  });
}

function checkPair(what: string, student: tf.Tensor, teacher: tf.Tensor): void {
  checkMinRank(what, student, 2);
  checkMinRank(what, teacher, 2);
  if (student.shape[0] !== teacher.shape[0]) {
    throw new ShapeError(`${what}: student batch ${student.shape[0]} differs from teacher batch ${teacher.shape[0]}`);
  }
}

/**
 * RKD distance loss (Park et al., 2019): smooth L1 between the student's and the teacher's
 * pairwise distances, each divided by its mean positive distance; averaged over all n x n entries
 * as in the authors' code. Embedding sizes may differ.
 */
export function rkdDistanceLoss(student: tf.Tensor, teacher: tf.Tensor): tf.Scalar {
  checkPair('rkdDistanceLoss', student, teacher);
  return tf.tidy(() => smoothL1(normalizedDistances(student), normalizedDistances(teacher)));
}

/**
 * RKD angle loss: smooth L1 between the cosines of all triplet angles of student and teacher
 * embeddings, averaged over all n^3 entries as in the authors' code (degenerate triplets are
 * zero on both sides). Costs O(n^3 * features): keep batches moderate.
 */
export function rkdAngleLoss(student: tf.Tensor, teacher: tf.Tensor): tf.Scalar {
  checkPair('rkdAngleLoss', student, teacher);
  return tf.tidy(() => smoothL1(tripletAngles(student), tripletAngles(teacher)));
}

/** Relational KD: `distanceWeight * rkdDistanceLoss + angleWeight * rkdAngleLoss` (defaults 1 and 2). */
export function rkdLoss(student: tf.Tensor, teacher: tf.Tensor, options: RkdOptions = {}): tf.Scalar {
  const wd = options.distanceWeight ?? 1;
  const wa = options.angleWeight ?? 2;
  checkNonNegative('rkdLoss: distanceWeight', wd);
  checkNonNegative('rkdLoss: angleWeight', wa);
  checkPair('rkdLoss', student, teacher);
  return tf.tidy(() => {
    let total = tf.scalar(0);
    if (wd > 0) total = tf.add(total, tf.mul(rkdDistanceLoss(student, teacher), wd));
    if (wa > 0) total = tf.add(total, tf.mul(rkdAngleLoss(student, teacher), wa));
    return total as tf.Scalar;
  });
}
