/**
 * Issue 11 (probe of 2026-12-03, scripts/probe-ordinary/repo4.py): a LICENSE / COPYING written in UTF-32 (Python's
 * `str.encode('utf-32')`: BOM FF FE 00 00, then 4-byte little-endian code units) was 'format not recognised'
 * (incomplete, failing the default gate); UTF-8, UTF-8 with BOM, UTF-16 with BOM, Latin-1 and CP1252 already landed
 * clean. UTF-32 with its BOM is now text (formats/structures/text.ts), checked throughout: a code unit that is no
 * Unicode scalar value, a control character, a size that is not a whole number of units, or a pickle after the text
 * is not clean.
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';

const LICENSE = 'MIT License\n\nCopyright (c) 2024 Jürgen Müller 中文\n\nPermission is hereby granted, free of charge\n';
/** posix.system('touch /tmp/pwned') as pickle.dumps(protocol=2) writes it. */
const PAYLOAD = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from('cposix\nsystem\nq\x00X\x10\x00\x00\x00touch /tmp/pwnedq\x01\x85q\x02Rq\x03.', 'latin1'),
]);

function utf32(text: string, littleEndian: boolean): Buffer {
  const cps = [0xfeff, ...[...text].map((c) => c.codePointAt(0) as number)];
  const out = Buffer.alloc(cps.length * 4);
  for (const [i, cp] of cps.entries()) {
    if (littleEndian) out.writeUInt32LE(cp, i * 4);
    else out.writeUInt32BE(cp, i * 4);
  }
  return out;
}

async function scan(bytes: Buffer, name = 'COPYING') {
  return scanBytes(Uint8Array.from(bytes), {}, name);
}

describe('UTF-32 text with its BOM', () => {
  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])('a %s UTF-32 LICENSE is text and clean; the gate passes', async (_name, le) => {
    const bytes = utf32(LICENSE, le);
    // The bytes Python writes: LICENSE.encode('utf-32') is the little-endian form.
    expect([...bytes.subarray(0, 8)]).toEqual(le ? [0xff, 0xfe, 0, 0, 0x4d, 0, 0, 0] : [0, 0, 0xfe, 0xff, 0, 0, 0, 0x4d]);
    const report = await scan(bytes);
    expect(report.format).toBe('text');
    expect(report.verdict, JSON.stringify(report.findings)).toBe('clean');
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(true);
  });

  it('a BOM over code units that are no scalar values, control characters, a cut unit or a pickle is not clean', async () => {
    const good = utf32(LICENSE, true);
    const beyond = Buffer.from(good);
    beyond.writeUInt32LE(0x110000, 40);
    const surrogate = Buffer.from(good);
    surrogate.writeUInt32LE(0xd800, 40);
    const control = Buffer.from(good);
    control.writeUInt32LE(0x01, 40);
    const cut = good.subarray(0, good.length - 1);
    const withPickle = Buffer.concat([good, PAYLOAD]);
    const bomThenPickle = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), PAYLOAD]);
    for (const [name, bytes] of Object.entries({ beyond, surrogate, control, cut, withPickle, bomThenPickle })) {
      const report = await scan(bytes);
      expect(report.verdict, `${name}: ${report.format}`).not.toBe('clean');
      expect(evaluateGate([report], DEFAULT_GATE).pass, name).toBe(false);
    }
  });

  it('a UTF-32 text longer than one read chunk (1 MiB) is checked to its end', async () => {
    const long = utf32('a'.repeat(300_000), true);
    expect(long.length).toBeGreaterThan(1024 * 1024);
    expect((await scan(long)).verdict).toBe('clean');
    const bad = Buffer.from(long);
    bad.writeUInt32LE(0x02, long.length - 8);
    expect((await scan(bad)).verdict).not.toBe('clean');
  });
});
