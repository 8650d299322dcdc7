import { GraphBuilder, Model } from '../src/index';

/** The error a promise rejects with, or undefined when it resolves. */
export async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (e: unknown) => e);
}

/** A one-layer dense model on 4 features (3 outputs), seeded. */
export function tinyDense(seed: number): Model {
  const b = new GraphBuilder();
  const x = b.input([4], { name: 'x' });
  return Model.create(b.build(b.dense(x, { units: 3, name: 'fc' })), { seed });
}
