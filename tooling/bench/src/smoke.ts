/** Smoke mode: every bench on tiny sizes, so `pnpm bench:smoke` proves each one still runs. */

/** True when `BONSAI_BENCH_SMOKE=1` (or any value but `0`/empty) or `--smoke` is on the command line. */
export function isSmoke(): boolean {
  const v = process.env.BONSAI_BENCH_SMOKE;
  return (v !== undefined && v !== '' && v !== '0') || process.argv.includes('--smoke');
}

/** `full` normally, `smoke` in smoke mode. */
export function pick<T>(full: T, smoke: T): T {
  return isSmoke() ? smoke : full;
}
