/** Where and on what a bench ran: machine, runtime and git state. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';

/** The machine a bench ran on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  /** Load average (1, 5, 15 min) when the results were written: the machine may be shared. */
  loadAverage: [number, number, number];
}

/** The tensor runtime a bench ran on. */
export interface RuntimeInfo {
  tfjs: string;
  /** The active tfjs backend (the last one a bench used when it switched). */
  backend: string;
  simd: boolean;
  threads: boolean;
}

/** The commit the bench ran from. */
export interface GitInfo {
  commit: string;
  /** Uncommitted changes to tracked files existed. */
  dirty: boolean;
}

/** CPU model, logical cores, memory, OS and Node version. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    node: process.version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number],
  };
}

function flag(name: string): boolean {
  try {
    return Boolean(tf.env().get(name));
  } catch {
    return false;
  }
}

/** tfjs-core version and the active backend with its SIMD / threads flags (never initializes a backend). */
export function runtimeInfo(): RuntimeInfo {
  const backend = tf.engine().backendName ?? 'none';
  return {
    tfjs: tf.version_core,
    backend,
    simd: backend === 'wasm' && flag('WASM_HAS_SIMD_SUPPORT'),
    threads: backend === 'wasm' && flag('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

/** `git rev-parse HEAD` and whether tracked files differ from it; `unknown` outside a checkout. */
export function gitInfo(cwd: string = process.cwd()): GitInfo {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no').length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}
