import { describe, expect, it } from 'vitest';
import { formatFlags, kebab, parseArgs, UsageError, type FlagSpecs } from '../src/index';

const specs: FlagSpecs = {
  out: { type: 'string', alias: 'o', description: 'out dir', valueName: 'dir' },
  epochs: { type: 'number', integer: true, description: 'epochs' },
  lr: { type: 'number', description: 'learning rate' },
  perChannel: { type: 'boolean', description: 'per channel' },
  method: { type: 'string', choices: ['static', 'dynamic'], description: 'method' },
};

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgs', () => {
  it('parses --flag value, --flag=value, aliases, switches and positionals', () => {
    const r = parseArgs(['-o', 'dir', '--epochs=3', '--lr', '0.001', '--per-channel', 'extra', '--method', 'dynamic'], specs);
    expect(r.flags).toEqual({ out: 'dir', epochs: 3, lr: 0.001, perChannel: true, method: 'dynamic' });
    expect(r.positionals).toEqual(['extra']);
  });

  it('supports --no-<switch>, --switch=false, negative numbers and the -- terminator', () => {
    expect(parseArgs(['--no-per-channel'], specs).flags.perChannel).toBe(false);
    expect(parseArgs(['--per-channel=false'], specs).flags.perChannel).toBe(false);
    expect(parseArgs(['--lr', '-0.5'], specs).flags.lr).toBe(-0.5);
    expect(parseArgs(['--', '--out', 'x'], specs)).toEqual({ flags: {}, positionals: ['--out', 'x'] });
  });

  it('lets the last occurrence win', () => {
    expect(parseArgs(['--epochs', '1', '--epochs', '2'], specs).flags.epochs).toBe(2);
  });

  it('rejects unknown options with a suggestion', () => {
    expect(usageError(() => parseArgs(['--epoch', '3'], specs)).message).toBe('unknown option "--epoch" (did you mean "--epochs"?)');
    expect(usageError(() => parseArgs(['-x'], specs)).message).toMatch(/unknown option "-x"/);
    expect(usageError(() => parseArgs(['--no-out'], specs)).message).toMatch(/unknown option "--no-out"/);
  });

  it('rejects missing and malformed values, naming the flag', () => {
    expect(usageError(() => parseArgs(['--out'], specs)).message).toBe('option "--out" needs a value <dir>');
    expect(usageError(() => parseArgs(['--out', '--epochs', '2'], specs)).message).toBe('option "--out" needs a value <dir>');
    expect(usageError(() => parseArgs(['--epochs', 'three'], specs)).message).toBe('option "--epochs" expects a number, got "three"');
    expect(usageError(() => parseArgs(['--epochs', '1.5'], specs)).message).toBe('option "--epochs" expects an integer, got "1.5"');
    expect(usageError(() => parseArgs(['--method', 'qat'], specs)).message).toBe('option "--method" must be one of "static", "dynamic", got "qat"');
    expect(usageError(() => parseArgs(['--per-channel=maybe'], specs)).message).toMatch(/is a switch/);
  });

  it('formats help with kebab-case names and value placeholders', () => {
    expect(kebab('calibrationSamples')).toBe('calibration-samples');
    const help = formatFlags(specs);
    expect(help).toContain('-o, --out <dir>');
    expect(help).toContain('--per-channel ');
    expect(help).toContain('--method <static|dynamic>');
  });
});
