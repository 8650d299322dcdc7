import { activationEntries, activationUnexportable } from './activation';
import { convEntries } from './conv';
import { denseEntries } from './dense';
import { dropoutEntries } from './dropout';
import { graphOnlyUnexportable } from './graph-only';
import { inputEntries } from './input';
import { mergeEntries, mergeUnexportable } from './merge';
import { normEntries } from './norm';
import { paddingEntries } from './padding';
import { poolingEntries } from './pooling';
import { reshapeEntries } from './reshape';
import { resizeEntries } from './resize';
import type { LayerEntry, LayerExporter, LayerImporter, Unexportable } from './types';

/** Every Keras layer class Bonsai converts, one family file each, in README order. */
export const LAYER_ENTRIES: readonly LayerEntry[] = [
  ...inputEntries,
  ...convEntries,
  ...denseEntries,
  ...normEntries,
  ...activationEntries,
  ...poolingEntries,
  ...mergeEntries,
  ...reshapeEntries,
  ...paddingEntries,
  ...resizeEntries,
  ...dropoutEntries,
];

/** Core ops that cannot be written as a tfjs LayersModel, with the reason. */
export const LAYER_UNEXPORTABLE: Unexportable = { ...activationUnexportable, ...mergeUnexportable, ...graphOnlyUnexportable };

function build(): { importers: Record<string, LayerImporter>; exporters: Record<string, LayerExporter>; entryOf: Record<string, LayerEntry> } {
  const importers: Record<string, LayerImporter> = Object.create(null) as Record<string, LayerImporter>;
  const exporters: Record<string, LayerExporter> = Object.create(null) as Record<string, LayerExporter>;
  const entryOf: Record<string, LayerEntry> = Object.create(null) as Record<string, LayerEntry>;
  for (const e of LAYER_ENTRIES) {
    for (const name of [e.className, ...(e.aliases ?? [])]) {
      if (name in importers) throw new Error(`interop layer tables: Keras class "${name}" is registered twice`);
      importers[name] = e.import;
      entryOf[name] = e;
    }
    for (const [op, fn] of Object.entries(e.export ?? {})) {
      if (op in exporters) throw new Error(`interop layer tables: core op "${op}" has two Keras exporters`);
      if (op in LAYER_UNEXPORTABLE) throw new Error(`interop layer tables: core op "${op}" is both exported and listed as unexportable`);
      exporters[op] = fn;
    }
  }
  return { importers, exporters, entryOf };
}

const tables = build();

/** Keras class name -> importer (aliases included). */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerImporter>> = tables.importers;
/** Core op -> Keras layer exporter. */
export const LAYER_EMITTERS: Readonly<Record<string, LayerExporter>> = tables.exporters;

/** The table entry of Keras class `className` (aliases included), if supported. */
export function layerEntry(className: string): LayerEntry | undefined {
  return  Object.hasOwn(tables.entryOf, className) ? tables.entryOf[className] : undefined;
}

/** The exporter of core op `op`, if it has one. */
export function layerExporter(op: string): LayerExporter | undefined {
  return  Object.hasOwn(tables.exporters, op) ? tables.exporters[op] : undefined;
}

export type { ExportedLayer, ImportContext, ParamValues, LayerEntry, LayerExporter, LayerImporter, Unexportable } from './types';
export { layerActivationName, KERAS_ACTIVATIONS } from './activation';
