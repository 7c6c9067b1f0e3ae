import { describe, expect, it } from 'vitest';
import { pythonInt, pythonStrip } from './int.js';

describe('pythonInt (CPython int(text, base))', () => {
  it('accepts every form CPython 3.11 accepts, with its value', () => {
    // Each pair checked against /usr/bin/python3 (3.11.2): int(text, base).
    const accepted: Array<[string, number, bigint]> = [
      ['0x_1f', 16, 31n],
      ['0_7', 8, 7n],
      ['0o17', 8, 15n],
      ['0O17', 8, 15n],
      [' +1_0 ', 10, 10n],
      ['\u0661\u0662', 10, 12n],
      ['\u0661\u0662', 8, 10n],
      ['-0o7', 8, -7n],
      ['0b1', 2, 1n],
      ['\x8512', 8, 10n],
      ['\xa012\u3000', 8, 10n],
      ['\x0b12\x0c', 8, 10n],
      [' -5', 8, -5n],
      ['0000644', 8, 420n],
      ['99999999999999999999', 10, 99999999999999999999n],
    ];
    for (const [text, base, value] of accepted) expect([text, pythonInt(text, base)]).toEqual([text, value]);
  });

  it('refuses what CPython refuses (ValueError)', () => {
    for (const [text, base] of [
      ['_1', 10],
      ['1__0', 10],
      ['1_', 10],
      ['0x', 16],
      ['\x1c12', 8],
      ['12\x1f', 8],
      ['1 2', 8],
      ['+ 1', 8],
      ['1e3', 10],
      ['0_x1', 16],
      ['8', 8],
      ['', 10],
    ] as const)
      expect([text, pythonInt(text, base)]).toEqual([text, undefined]);
  });

  it('strips as str.strip() does (\\x1c-\\x1f included)', () => {
    expect(pythonStrip('\x1c 12\x1f\n')).toBe('12');
  });
});
