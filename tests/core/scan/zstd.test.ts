/**
 * Zstandard streams are decompressed and their content scanned (pandas reads `.zst` pickles and CSVs): an ordinary
 * compressed CSV is clean, a compressed pickle is judged as the pickle it is (in any frame of a concatenated stream),
 * a cut stream is incomplete, and a frame header claiming a window past MAX_ZSTD_WINDOW_BYTES (the decoder would
 * allocate it) is refused before decoding. Fixtures: the zstd CLI 1.5.4 (Debian), `zstd --check`; the bomb by hand.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ZSTD_WINDOW_BYTES, zstdHeaderProblem } from '../../../packages/core/src/compression/index.js';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const CSV = hex('28b52ffd241ff90000746578742c6c6162656c0a2268656c6c6f222c310a22776f726c64222c300a98227aa2');
// Protocol 0: GLOBAL os.system, MARK, STRING, TUPLE, REDUCE, STOP.
const EVIL = '28b52ffd241de90000636f730a73797374656d0a2853276563686f2070776e6564270a74522ead5c77ae';
const LABELS = '28b52ffd24084100006361740a646f670a206d6bca';
// A single-segment frame declaring 1 GiB of content (its window) and one empty last raw block.
const BOMB = hex('28b52ffda000000040010000');

const gate = async (bytes: Uint8Array, name: string) => {
  const report = await scanBytes(bytes, {}, name);
  return { report, pass: evaluateGate([report], DEFAULT_GATE).pass };
};

describe('zstd', () => {
  it('a compressed CSV is clean', async () => {
    const { report, pass } = await gate(CSV, 'train.csv.zst');
    expect(report.verdict).toBe('clean');
    expect(pass).toBe(true);
  });

  it('a compressed pickle is judged as a pickle, in the first or a later frame', async () => {
    for (const bytes of [hex(EVIL), hex(LABELS + EVIL)]) {
      const { report, pass } = await gate(bytes, 'frame.pkl.zst');
      expect(pass).toBe(false);
      expect(report.findings.some((f) => f.ruleId === 'MS-PKL-001' && f.severity === 'critical')).toBe(true);
    }
  });

  it('a cut stream is incomplete; a frame claiming a huge window is refused before decoding', async () => {
    expect((await gate(CSV.subarray(0, 20), 'cut.zst')).report.verdict).toBe('incomplete');
    expect(zstdHeaderProblem(BOMB)).toMatchObject({ status: 'limit' });
    expect(1 << 30).toBeGreaterThan(MAX_ZSTD_WINDOW_BYTES);
    const bomb = await gate(BOMB, 'bomb.zst');
    expect(bomb.report.verdict).toBe('incomplete');
    expect(bomb.pass).toBe(false);
    expect(zstdHeaderProblem(CSV)).toBeUndefined();
  });
});
