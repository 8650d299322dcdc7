import * as tf from '@tensorflow/tfjs-core';
import './gradients';
import { BackendError } from './errors';

/** Backends Bonsai runs on. `wasm` is the WASM SIMD backend (XNNPACK); `cpu` is the reference. */
export type BackendName = 'wasm' | 'cpu';

/** Facts about the active backend, for reports and the demo page. */
export interface BackendInfo {
  name: string;
  simd: boolean;
  threads: boolean;
}

/**
 * Loads and activates a tfjs backend. In Node the wasm backend locates its `.wasm` binaries by
 * itself; in browsers call `setWasmPaths` from `@tensorflow/tfjs-backend-wasm` first.
 * Safe to call repeatedly.
 */
export async function initBackend(name: BackendName = 'wasm', timeoutMs = 30_000): Promise<BackendInfo> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else throw new BackendError(`Unknown backend "${String(name)}": use "wasm" or "cpu"`, name);
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
