/**
 * Audio clips (issue 11: data formats that cannot execute are recognised and clean). Speech repos ship sample clips;
 * they were "format not recognised" and so `incomplete`, failing the default gate. WAV, FLAC, Ogg and MP3 are now
 * walked by structure (formats/structures/audio.ts): the real encoders' files (fixtures/realistic/speech-audio-samples,
 * made by lame, flac and oggenc) are clean, and what does not hold to the structure, or follows the audio, is not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const SAMPLES = path.join(REPO_ROOT, 'fixtures', 'realistic', 'speech-audio-samples', 'samples');
const sample = (name: string) => Uint8Array.from(readFileSync(path.join(SAMPLES, name)));
/** posix.system('touch /tmp/pwned-audio') as pickle.dumps(protocol=2) writes it. */
const PAYLOAD = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from('cposix\nsystem\nq\x00X\x11\x00\x00\x00touch /tmp/pwnedaq\x01\x85q\x02Rq\x03.', 'latin1'),
]);

describe('audio files', () => {
  const names = readdirSync(SAMPLES).sort();
  it('the fixture set holds every container (wav, flac, ogg, mp3)', () => {
    expect(new Set(names.map((n) => path.extname(n)))).toEqual(new Set(['.wav', '.flac', '.ogg', '.mp3']));
  });

  for (const name of names) {
    it(`${name} (real encoder output) is recognised and clean`, async () => {
      const report = await scanBytes(sample(name), {}, name);
      expect(report.format).toBe(path.extname(name).slice(1));
      expect(report.verdict, JSON.stringify([report.findings, report.errors])).toBe('clean');
    });
  }

  for (const name of ['sample1.wav', 'sample1.ogg', 'sample1.mp3', 'sample4.mp3']) {
    it(`a pickle appended after ${name} is scanned and caught`, async () => {
      const report = await scanBytes(Uint8Array.from(Buffer.concat([sample(name), PAYLOAD])), {}, name);
      expect(
        report.findings.some((f) => f.severity === 'critical'),
        JSON.stringify(report.findings),
      ).toBe(true);
      expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
    });
  }

  for (const name of ['sample1.wav', 'sample1.flac', 'sample1.ogg']) {
    it(`${name} cut short does not pass as clean`, async () => {
      const whole = sample(name);
      const report = await scanBytes(whole.subarray(0, name.endsWith('.flac') ? 40 : whole.length - 100), {}, name);
      expect(report.verdict).not.toBe('clean');
      expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
    });
  }

  it('a RIFF/WAVE header over other bytes (no fmt chunk, sizes that do not add up) is not clean', async () => {
    const fake = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x20, 0, 0, 0]), Buffer.from('WAVE'), PAYLOAD]);
    const report = await scanBytes(Uint8Array.from(fake), {}, 'fake.wav');
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
  });
});
