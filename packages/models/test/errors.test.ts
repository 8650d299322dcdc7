import { ConfigError } from '@bonsai/core';
import { describe, expect, it } from 'vitest';
import { resnet } from '../src/index';

describe('model builders reject bad options with typed errors', () => {
  it('resnet depth must be 6n + 2', () => {
    for (const depth of [21, 2, 0, 19.5]) {
      expect(() => resnet({ depth }), `depth ${depth}`).toThrow(ConfigError);
    }
    expect(() => resnet({ depth: 21 })).toThrow(/resnet: depth must be 6n \+ 2 with n >= 1 \(20, 32, 56, \.\.\.\), got 21/);
  });
});
