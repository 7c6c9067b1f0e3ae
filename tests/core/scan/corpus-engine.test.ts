/**
 * The whole scanner corpus (../shared/corpora/scanners/MANIFEST.tsv, every format) through the engine, as
 * `modelsec scan` runs it: malicious → the default gate fails (a finding at high or above, or incomplete), or at
 * least one finding when the manifest says the text cannot execute; benign → nothing at high or above; suspicious →
 * reported (at least one finding or issue). Skips when the corpus is absent, fails under CI.
 *
 * KNOWN_GAPS lists the rows where modelsec deliberately differs, each with its reason; the test fails if a gap
 * closes (so the list stays true) or if any other row misses.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { scanFile } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { atLeast } from '../../../packages/core/src/scan/types.js';
import { describeWithCorpus, scannerManifest } from '../../helpers/corpora.js';

const KNOWN_GAPS: Record<string, string> = {
  // Suspicious rows modelsec does not report: text that no loader executes, with no code or shell syntax in it.
  'modelaudit/tests/assets/samples/manifests/suspicious_config.json':
    'a plain JSON config (not a model format modelsec reads) with an api_key, an exfiltration URL and a shell string is not judged',
  'modelaudit/tests/assets/samples/safetensors/suspicious_url.safetensors':
    'safetensors __metadata__ holding only URLs (no code or shell syntax) is not reported',
};

const corpus = scannerManifest();
const rows = corpus?.rows ?? [];

describeWithCorpus('scanner corpus through the engine (every format)', corpus !== undefined, () => {
  it.each(rows)('$verdict $format $file', async ({ file, verdict, why }) => {
    const report = await scanFile(path.join(corpus?.dir ?? '', file), {}, file);
    const high = report.findings.some((f) => atLeast(f.severity, 'high'));
    const textOnly = /cannot execute|not executable/.test(why);
    // Malicious: the default gate fails (a finding at high or above, or incomplete: a 7z the scanner cannot open is
    // never passed), or, for text the manifest says cannot execute, at least a finding.
    const caught = !evaluateGate([report], DEFAULT_GATE).pass;
    // Suspicious: reported (a finding or an issue), never silently clean; whatever its severity.
    const reported = report.findings.length + report.errors.length > 0;
    const meets =
      verdict === 'malicious' ? caught || (textOnly && report.findings.length > 0) : verdict === 'benign' ? !high : reported;
    const summary = report.findings.map((f) => `${f.severity} ${f.ruleId}`).join(', ') || 'no findings';
    if (KNOWN_GAPS[file]) expect(meets, `gap closed? ${KNOWN_GAPS[file]} (${summary})`).toBe(false);
    else expect(meets, `${verdict}: ${summary}`).toBe(true);
  });
});
