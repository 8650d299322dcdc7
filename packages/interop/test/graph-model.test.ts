/**
 * GraphModel converter tests in one file (one module load): every TF op against stock
 * tfjs-converter, refusals, README drift, fuzzing. Real models: graph-model-real.test.ts.
 */
import './graph-model-ops.suite';
import './graph-model-errors.suite';
import './graph-model-readme.suite';
import './graph-model-fuzz.suite';
import './graph-model-prune.suite';
import './graph-model-transformer.suite';
