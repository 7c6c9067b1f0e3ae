/**
 * Every file meets the pickle VM from offset 0 (issue 11, point 4), so ordinary text must come out as CPython would
 * leave it: a stream that fails before any opcode with an effect is inert. Found by the 2026-12-03 probe: any text
 * beginning with 'T' (BINSTRING) declared a string of hundreds of MB (the next four letters as a length), which hit
 * MAX_STRING_BYTES and left the file `incomplete` (the default gate failed a README-like "This repo ..." file).
 * CPython's read of that string fails first ("pickle data was truncated"), so the length past the end of the data is
 * a truncation, judged by what ran before it.
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';

const text = (s: string) => Uint8Array.from(Buffer.from(s, 'utf8'));

describe('text files read by the pickle VM', () => {
  for (const [name, body] of [
    ['notes', 'This repo holds the weights of a tiny model.\nUse it well.\n'],
    ['labels.txt', 'Tabby cat\nTiger\nTurtle\n'],
    ['CITATION', 'The authors thank the reviewers.\n'],
    ['short', 'T'],
    ['unicode-X', 'X marks the spot\n'],
    ['binunicode8', '\u008d is not a pickle\n'],
  ] as const) {
    it(`${JSON.stringify(body.slice(0, 12))}… is clean and passes the default gate`, async () => {
      const report = await scanBytes(text(body), {}, name);
      expect(report.verdict, JSON.stringify(report.findings)).toBe('clean');
      expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(true);
    });
  }

  it('a call made before a truncated over-long string is still caught (the truncation does not hide what ran)', async () => {
    // GLOBAL posix system, a protocol-0 string argument, TUPLE1, REDUCE, then 'T' declaring 0x20736968 bytes.
    const bytes = Buffer.concat([Buffer.from("cposix\nsystem\n(S'id'\ntR"), Buffer.from('This is the rest\n')]);
    const report = await scanBytes(Uint8Array.from(bytes), {}, 'hostile.txt');
    expect(report.findings.some((f) => f.severity === 'critical')).toBe(true);
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
  });
});
