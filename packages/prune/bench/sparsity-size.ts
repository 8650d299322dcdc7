// Sizing run for the sparsity bench (not part of `pnpm bench`): how big the clustered Bonsai file of a
// cached dense model is at each sparsity, before any fine-tuning (global |w| one-shot), so a run can pick
// the sparsity and centroid count a size ratio needs. `npx tsx bench/sparsity-size.ts <cache key> <clusters> <s1,s2,...>`
// (the key names a folder of /tmp/sparsity written by the bench or sparsity-explore.ts).
import { initBackend, load } from '@bonsai/core';
import { globalUnstructured, remove } from '@bonsai/prune';
import { smallCnn } from '@bonsai/models';
import { clusteredFile } from './codebook-file';
import { quantize } from './quantize-api';
import { fileSize } from './util';

await initBackend('wasm');
const [key = 'LeNet-5-e12-n8000', clusters = '4', list = '0.95,0.97,0.98,0.985'] = process.argv.slice(2);
// `small` / `small-folded`: an untrained small CNN 8-8-16-16 (sizes barely depend on training), with or without its batch norm folded.
const fresh = smallCnn({ seed: 0, widths: [8, 16], hidden: 32 });
const dense = key === 'small' ? fresh : key === 'small-folded' ? quantize.foldBatchNorm(fresh) : await load(`/tmp/sparsity/${key}`);
const float = await fileSize(fresh);
for (const s of list.split(',').map(Number)) {
  const m = dense.clone();
  globalUnstructured(m, { amount: s });
  remove(m);
  const f = await clusteredFile(m, { kernelClusters: Number(clusters) });
  console.log(`${key} ${(100 * s).toFixed(1)}% ${clusters} centroids: ${f.bytes} B raw (${(float.bytes / f.bytes).toFixed(1)}x), ${f.gzip} B gzip (${(float.bytes / f.gzip).toFixed(1)}x); files ${JSON.stringify(f.files)}`);
  f.model.dispose();
  m.dispose();
}
