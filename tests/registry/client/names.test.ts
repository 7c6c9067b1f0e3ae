/**
 * The whole catalogue of names `pull` refuses (packages/registry/src/resource-names.ts, and core's signed resource
 * name rule that runs first), in-process: traversal, absolute, backslash, empty and `.` segments, NUL, C0/C1
 * controls, ANSI escapes, bidi overrides, zero-width characters, lone surrogates, over-long names, and collisions
 * after NFC normalisation or case folding (files, directories, a file that is also a directory).
 */
import { ModelsecError } from '@modelsec/core';
import { assertSafeNames, unsafeNameReason } from '@modelsec/registry';
import { describe, expect, it } from 'vitest';

const unsafe = [
  '',
  '../x',
  'a/../../x',
  '..',
  '/etc/passwd',
  'C:/x',
  'c:x',
  'a\\b',
  '..\\x',
  'a//b',
  'a/',
  '/a',
  './a',
  'a/./b',
  'a/.',
  'nul\u0000',
  'tab\tname',
  'new\nline',
  'cr\rname',
  'esc\u001b[31mred',
  'del\u007f',
  'c1\u0085next',
  'csi\u009b2J',
  'rtl\u202eexe.gnp',
  'isolate\u2066x',
  'zero\u200bwidth',
  'zwj\u200dx',
  'bom\ufeffx',
  'lone\ud800surrogate',
  `${'a'.repeat(256)}`,
  `${'a/'.repeat(2000)}b`,
];
const safe = [
  'a',
  'a/b/c.bin',
  'model.safetensors',
  'caf\u00e9/\u00fcber.bin',
  'tokenizer/vocab.json',
  '.hidden',
  'a..b',
  '...',
  'weird name (1).bin',
  '\u{1F600}.bin',
];

describe('pull name rules', () => {
  it.each(unsafe)('refuses %j', (name) => {
    expect(unsafeNameReason(name)).toEqual(expect.any(String));
    expect(() => assertSafeNames([name])).toThrow(expect.objectContaining({ code: 'PULL_NAME_UNSAFE' }));
  });

  it.each(safe)('accepts %j', (name) => {
    expect(unsafeNameReason(name)).toBeUndefined();
    expect(() => assertSafeNames([name])).not.toThrow();
  });

  it.each([
    [['caf\u00e9.bin', 'cafe\u0301.bin'], 'normalisation'],
    [['Model.bin', 'model.bin'], 'case'],
    [['\u00c5.bin', 'A\u030a.bin'], 'normalisation'],
    [['Dir/a', 'dir/b'], 'directory'],
    [['a', 'a/b'], 'both a file and a directory'],
    [['A', 'a/b'], 'both a file and a directory'],
  ])('refuses the colliding set %j', (names, reason) => {
    try {
      assertSafeNames(names);
      expect.unreachable('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ModelsecError);
      expect((error as ModelsecError).code).toBe('PULL_NAME_UNSAFE');
      expect((error as ModelsecError).message).toContain(reason);
    }
  });

  it('lists every problem in the details, not only the first', () => {
    try {
      assertSafeNames(['../a', 'b\u001b', 'C', 'c']);
      expect.unreachable('accepted');
    } catch (error) {
      expect(((error as ModelsecError).details as { problems: unknown[] }).problems).toHaveLength(3);
    }
  });
});
