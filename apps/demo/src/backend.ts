import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initBackend, type BackendInfo } from '@bonsai/core';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/**
 * Points tfjs at the bundled .wasm files (otherwise it fetches index.html and falls back to cpu),
 * then activates the wasm backend with core's timeout. Threads stay off: they need COOP/COEP.
 */
export async function initWasm(): Promise<BackendInfo> {
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  return initBackend('wasm', 20_000);
}
