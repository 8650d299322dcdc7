/** Types of the untyped shared config package (tooling/vitest/index.js). */
declare module '@bonsai/vitest-config' {
  import type { Alias } from 'vite';
  /** Aliases `@bonsai/<name>` to `packages/<name>/src/index.ts`. */
  export function bonsaiAliases(): Alias[];
  /** The repo's shared vitest config for the package in `packageDir`. */
  export function bonsaiVitestConfig(packageDir: string, overrides?: Record<string, unknown>): Record<string, unknown>;
}
