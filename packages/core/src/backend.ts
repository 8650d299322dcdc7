import * as tf from '@tensorflow/tfjs-core';
import './gradients';
import { BackendError } from './errors';
import { useSharedIdentity } from './kernels/shared-identity';

/** Backends Bonsai runs on. `wasm` is the WASM SIMD backend (XNNPACK); `cpu` is the reference. */
export type BackendName = 'wasm' | 'cpu';

/** Facts about the active backend, for reports and the demo page. */
export interface BackendInfo {
  name: string;
  simd: boolean;
  threads: boolean;
}

const PACKAGES: Record<BackendName, string> = { wasm: '@tensorflow/tfjs-backend-wasm', cpu: '@tensorflow/tfjs-backend-cpu' };

type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
const EVENTS: readonly ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];

type Listener = (...args: unknown[]) => void;

function nodeProcess(): NodeJS.EventEmitter | undefined {
  return typeof process !== 'undefined' && typeof process.listeners === 'function' ? (process as NodeJS.EventEmitter) : undefined;
}

/**
 * The wasm runtime (emscripten) registers process handlers that rethrow every error, so Node
 * exits with code 7 ("internal exception handler failure") instead of 1; its own clean-up never
 * removes them. Removes the handlers that appeared since `before` was taken.
 */
function dropRuntimeHandlers(before: ReadonlyMap<ProcessEvent, readonly unknown[]> | undefined): void {
  const proc = nodeProcess();
  if (!proc || !before) return;
  for (const event of EVENTS) {
    for (const l of proc.listeners(event)) {
      if (!before.get(event)!.includes(l)) proc.removeListener(event, l as Listener);
    }
  }
}

async function importBackend(name: BackendName): Promise<void> {
  try {
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    else await import('@tensorflow/tfjs-backend-cpu');
  } catch (e) {
    // Node says ERR_MODULE_NOT_FOUND; bundlers and test runners wrap it (look through `cause`).
    let missing = false;
    for (let c: unknown = e; c && !missing; c = (c as { cause?: unknown }).cause) {
      const code = (c as { code?: unknown }).code;
      missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(String((c as Error).message));
    }
    const pkg = PACKAGES[name];
    throw new BackendError(
      missing ? `Backend "${name}" needs the package ${pkg}: install it next to @tensorflow/tfjs-core (npm install ${pkg}@4.22.0)` : `Backend "${name}" could not be loaded: ${(e as Error)?.message ?? String(e)}`,
      name,
    );
  }
}

/**
 * Loads and activates a tfjs backend. In Node the wasm backend locates its `.wasm` binaries by
 * itself; in browsers call `setWasmPaths` from `@tensorflow/tfjs-backend-wasm` first.
 * Safe to call repeatedly. A backend package that is not installed is a BackendError saying what
 * to install. The wasm runtime's process-wide error handlers are removed after start-up, so an
 * uncaught error exits with Node's usual code 1. On wasm, Identity (how tfjs saves tensors for
 * backprop) shares its input's data instead of copying it.
 */
export async function initBackend(name: BackendName = 'wasm', timeoutMs = 30_000): Promise<BackendInfo> {
  if (name !== 'wasm' && name !== 'cpu') throw new BackendError(`Unknown backend "${String(name)}": use "wasm" or "cpu"`, String(name));
  const proc = nodeProcess();
  const before = proc ? new Map<ProcessEvent, readonly unknown[]>(EVENTS.map((e) => [e, [...proc.listeners(e)]])) : undefined;
  try {
    await importBackend(name);
    if (tf.getBackend() !== name) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<boolean>((_, reject) => {
        timer = setTimeout(() => reject(new BackendError(`Backend "${name}" did not initialize within ${timeoutMs} ms`, name)), timeoutMs);
      });
      try {
        const ok = await Promise.race([tf.setBackend(name), timeout]);
        if (!ok) throw new BackendError(`Backend "${name}" failed to initialize`, name);
      } finally {
        clearTimeout(timer);
      }
    }
    await tf.ready();
    if (name === 'wasm') useSharedIdentity();
  } finally {
    dropRuntimeHandlers(before);
  }
  return backendInfo();
}

/** Describes the active backend (SIMD and threads flags are only meaningful for wasm). */
export function backendInfo(): BackendInfo {
  const name = tf.getBackend();
  const flag = (f: string): boolean => {
    try {
      return Boolean(tf.env().get(f));
    } catch {
      return false;
    }
  };
  return { name, simd: name === 'wasm' && flag('WASM_HAS_SIMD_SUPPORT'), threads: name === 'wasm' && flag('WASM_HAS_MULTITHREAD_SUPPORT') };
}
