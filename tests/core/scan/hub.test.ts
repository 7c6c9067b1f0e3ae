import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { type FakeHub, filesFromDirectory, startFakeHub } from '../../helpers/fake-hub.js';

const SHA = 'c0ffee0000000000000000000000000000000001';
let hub: FakeHub;
const home = mkdtempSync(join(tmpdir(), 'modelsec-scan-hub-'));

beforeAll(async () => {
  hub = await startFakeHub([{ id: 'acme/mixed', sha: SHA, files: filesFromDirectory(join(REPO_ROOT, 'fixtures/scan/mixed')) }]);
});
afterAll(async () => {
  await hub.close();
  rmSync(home, { recursive: true, force: true });
});

describe('modelsec scan hf://', () => {
  it('downloads into the HF cache (HF_ENDPOINT, HF_HOME) and scans every file, named by its Hub address', async () => {
    const run = await runCli(['scan', 'hf://acme/mixed', '--format', 'json'], { env: { HF_ENDPOINT: hub.url, HF_HOME: home } });
    expect(run.code, run.stderr).toBe(1);
    const report = run.json<{ files: Array<{ path: string; findings: Array<{ severity: string }> }> }>();
    const byName = Object.fromEntries(report.files.map((f) => [f.path, f.findings[0]?.severity ?? 'clean']));
    expect(byName[`hf://acme/mixed@${SHA}/weights.bin`]).toBe('critical');
    expect(byName[`hf://acme/mixed@${SHA}/model.safetensors`]).toBe('clean');
    expect(report.files.length).toBe(12);
  });
});
