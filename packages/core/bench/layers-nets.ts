/**
 * The bench's networks rebuilt with @tensorflow/tfjs-layers, layer for layer the same as
 * @bonsai/models' smallCnn and mlp300100 (same shapes, no conv bias, BN epsilon 1e-3 and
 * momentum 0.99 as in core, logits out, softmax cross-entropy, Adam 1e-3).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** smallCnn: [conv3x3(same, no bias)-BN-ReLU] x2 + maxPool per width, flatten, dense-ReLU, dropout, dense. */
export function layersSmallCnn(o: { widths?: readonly number[]; hidden?: number; dropout?: number } = {}): tfl.Sequential {
  const net = tfl.sequential();
  let first = true;
  for (const w of o.widths ?? [32, 64]) {
    for (let r = 0; r < 2; r++) {
      net.add(tfl.layers.conv2d({ filters: w, kernelSize: 3, padding: 'same', useBias: false, ...(first ? { inputShape: [28, 28, 1] } : {}) }));
      first = false;
      net.add(tfl.layers.batchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.99 }));
      net.add(tfl.layers.activation({ activation: 'relu' }));
    }
    net.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  }
  net.add(tfl.layers.flatten());
  net.add(tfl.layers.dense({ units: o.hidden ?? 128, activation: 'relu' }));
  if ((o.dropout ?? 0.3) > 0) net.add(tfl.layers.dropout({ rate: o.dropout ?? 0.3 }));
  net.add(tfl.layers.dense({ units: 10 }));
  compile(net);
  return net;
}

/** LeNet-300-100: flatten, dense 300 ReLU, dense 100 ReLU, dense 10. */
export function layersMlp(): tfl.Sequential {
  const net = tfl.sequential();
  net.add(tfl.layers.flatten({ inputShape: [28, 28, 1] }));
  net.add(tfl.layers.dense({ units: 300, activation: 'relu' }));
  net.add(tfl.layers.dense({ units: 100, activation: 'relu' }));
  net.add(tfl.layers.dense({ units: 10 }));
  compile(net);
  return net;
}

function compile(net: tfl.Sequential): void {
  net.compile({
    optimizer: tf.train.adam(1e-3),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
}
