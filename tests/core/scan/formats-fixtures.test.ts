import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { atLeast, type Severity, scanPaths } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const ROOT = join(REPO_ROOT, 'fixtures/scan/formats');

/** Severity each hostile fixture must reach at least (integrity and uninspectable are medium by design). */
function expectedSeverity(name: string): Severity {
  if (name.startsWith('safetensors-') || name.endsWith('.7z')) return 'medium';
  if (name.startsWith('onnx-custom-op')) return 'low';
  return 'high';
}

describe('fixtures/scan/formats', () => {
  it('benign fixtures are clean', async () => {
    const report = await scanPaths([join(ROOT, 'benign')]);
    expect(report.files.length).toBeGreaterThanOrEqual(6);
    for (const file of report.files) expect(file.findings, file.path).toEqual([]);
  });

  it.each(readdirSync(join(ROOT, 'malicious')).sort())('%s is caught at its severity', async (name) => {
    const report = await scanPaths([join(ROOT, 'malicious', name)]);
    const top = report.files[0]?.findings[0]?.severity;
    expect(top, name).toBeDefined();
    expect(atLeast(top as Severity, expectedSeverity(name)), `${name}: ${top}`).toBe(true);
  });
});
