import { describe, expect, it } from 'vitest';
import { canonicalJson, stableJson } from './canonical-json.js';
import { clockFromEnv, fixedClock } from './clock.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"z":1}]},"b":1}',
    );
  });
  it('gives equal bytes for equal data built in different orders', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
  it('refuses non-finite numbers and cycles', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cyclic/);
  });
  it('stableJson pretty-prints sorted keys with a final newline', () => {
    expect(stableJson({ b: 1, a: 2 })).toBe('{\n  "a": 2,\n  "b": 1\n}\n');
  });
});

describe('clocks', () => {
  it('SOURCE_DATE_EPOCH pins the time', () => {
    expect(clockFromEnv({ SOURCE_DATE_EPOCH: '1700000000' }).now().toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(clockFromEnv({ SOURCE_DATE_EPOCH: 'junk' }).now().getTime()).toBeGreaterThan(1.7e12);
    expect(fixedClock('2020-01-01T00:00:00Z').now().toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });
});
