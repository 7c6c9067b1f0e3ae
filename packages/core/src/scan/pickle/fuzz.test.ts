/**
 * Property tests through the engine entry the CLI uses (scanBytes): random bytes, mutated and truncated fixtures never
 * throw or hang; every finding is of a known rule with a known severity; a file with parse errors is never clean;
 * a truncated pickle is clean only when what is left does nothing before it breaks; limits end in findings.
 */
import { describe, expect, it } from 'vitest';
import { scanFixtureSpecs, xorshift32 } from '#test-support/fixture-builders';
import { scanBytes } from '../engine.js';
import { ruleById } from '../rules/index.js';
import { type FileReport, SEVERITIES } from '../types.js';
import { looksLikePickle } from './looks-like-pickle.js';
import { importable } from './reading.js';
import { runPickle } from './vm.js';

async function scan(bytes: Uint8Array, name: string): Promise<FileReport> {
  const report = await scanBytes(bytes, {}, name);
  for (const finding of report.findings) {
    expect(ruleById(finding.ruleId), finding.ruleId).toBeInstanceOf(Object);
    expect(SEVERITIES).toContain(finding.severity);
  }
  if (report.errors.length > 0) expect(report.verdict, `${name}: ${JSON.stringify(report.errors[0])}`).not.toBe('clean');
  return report;
}

describe('the engine under random and mutated input (pickle family)', () => {
  it('200 random byte strings: no throw, known rules only, errors never clean', async () => {
    const next = xorshift32(0x5eed);
    for (let n = 0; n < 200; n++) {
      const bytes = new Uint8Array(next() % 512);
      for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
      if (n % 3 === 0 && bytes.length > 2) {
        bytes[0] = 0x80;
        bytes[1] = 2 + (next() % 4);
      }
      await scan(bytes, `random-${n}`);
      looksLikePickle(bytes);
    }
  });

  it('300 mutations and truncations of the fixtures: no throw; truncated pickles clean only when inert', async () => {
    const next = xorshift32(0xf00d);
    const specs = scanFixtureSpecs();
    for (let n = 0; n < 300; n++) {
      const spec = specs[next() % specs.length];
      if (!spec) continue;
      const bytes = spec.bytes.slice();
      if (n % 2 === 0) {
        const cut = next() % Math.max(1, bytes.length - 1);
        const truncated = bytes.subarray(0, cut);
        const report = await scan(truncated, `${spec.path} cut at ${cut}`);
        // A pickle cut short is clean only when CPython rejects what is left before any opcode with an effect (pure
        // data, then the break: loading raises having done nothing); otherwise it ends in a finding.
        if (spec.format === 'pickle' && report.verdict === 'clean') {
          const run = runPickle(truncated, 0);
          const effects = run.events.filter(
            (e) =>
              e.type !== 'bytes' &&
              e.type !== 'text' &&
              e.type !== 'frame-overrun' &&
              !(e.type === 'global' && !importable(e.module)),
          );
          expect(run.stopped, `${spec.path} cut at ${cut}`).toBe(false);
          expect(effects, `${spec.path} cut at ${cut}`).toEqual([]);
        }
      } else {
        for (let k = 0; k < 1 + (next() % 4); k++) bytes[next() % bytes.length] = next() & 0xff;
        await scan(bytes, `${spec.path} mutated`);
      }
    }
  });

  it('limits turn into findings: a pickle of 2 million MARKs is a stack-depth finding (incomplete), not a crash', async () => {
    const bytes = new Uint8Array(2_000_001).fill(0x28);
    bytes[bytes.length - 1] = 0x2e;
    const report = await scan(bytes, 'marks.pkl');
    expect(report.findings.map((f) => f.ruleId)).toContain('MS-PKL-010');
    expect(report.verdict).toBe('incomplete');
  });
});
