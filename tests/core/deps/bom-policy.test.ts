/**
 * The dependency audit everywhere it belongs: `modelsec bom --deps-audit` records each finding as a CycloneDX
 * vulnerability affecting the library component, and the registry policy `dependencies` refuses a push from that
 * ML-BOM, naming each package and record (over real HTTP, with a signed model).
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path, { join } from 'node:path';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, signedModel, tempDir, testRegistry } from '../../../packages/registry/src/test-support.js';
import { checkDependencies } from '../../../packages/registry/src/verification/dependencies-check.js';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';

const AUDIT = join(REPO_ROOT, 'fixtures', 'deps', 'audit');
const OSV = join(AUDIT, 'osv', 'PyPI', 'all.zip');

interface CdxVulnerability {
  id: string;
  source: { name: string };
  references?: { id: string }[];
  ratings: { severity: string; score?: number; method?: string }[];
  affects: { ref: string }[];
  properties: { name: string; value: string }[];
}

async function bomOf(
  lockfile: string,
  extra: string[],
): Promise<{
  text: string;
  json: { vulnerabilities?: CdxVulnerability[]; metadata: { properties?: { name: string; value: string }[] } };
}> {
  const dir = tempDir('modelsec-deps-bom-');
  cpSync(lockfile, join(dir, path.basename(lockfile)));
  writeFileSync(join(dir, 'config.json'), '{"model_type":"bert"}');
  writeFileSync(join(dir, 'README.md'), '---\nlicense: apache-2.0\n---\n# tiny\n');
  const out = join(dir, '..', `${path.basename(dir)}.cdx.json`);
  const run = await runCli(['bom', dir, '-o', out, ...extra], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  expect(run.code, run.stderr).toBe(0);
  const text = readFileSync(out, 'utf8');
  return { text, json: JSON.parse(text) };
}

describe('bom --deps-audit', () => {
  it('records each finding as a vulnerability whose affects names the library bom-ref', async () => {
    const { json } = await bomOf(join(AUDIT, 'projects/requirements/requirements.txt'), ['--deps-audit', '--osv', OSV]);
    const vulns = json.vulnerabilities ?? [];
    const summary = vulns.map((v) => [v.id, v.source.name, v.affects.map((a) => a.ref).join(), v.ratings[0]?.severity]);
    expect(summary).toEqual([
      ['GHSA-53q9-r3pm-6pq6', 'OSV', 'pkg:pypi/torch@2.5.1', 'critical'],
      ['MAL-0000-torchtriton', 'OSV', 'pkg:pypi/torchtriton@3.0.0', 'critical'],
      ['MS-DEP-004', 'modelsec', 'pkg:pypi/torchtriton@3.0.0', 'high'],
      ['MAL-2026-16136', 'OSV', 'pkg:pypi/transfomers@4.44.2', 'critical'],
      ['MS-DEP-005', 'modelsec', 'pkg:pypi/transfomers@4.44.2', 'high'],
      ['MAL-0000-ultralytics', 'OSV', 'pkg:pypi/ultralytics@8.3.41', 'critical'],
    ]);
    expect(vulns[0]?.references).toEqual([{ id: 'CVE-2025-32434', source: { name: 'OSV' } }]);
    expect(vulns[0]?.properties).toContainEqual({ name: 'modelsec:deps:rule', value: 'MS-DEP-001' });
    expect(json.metadata.properties).toContainEqual({ name: 'modelsec:deps:audit', value: 'osv-sources=1' });
  }, 60_000);

  it('CVSS v3 scores and vectors are carried as ratings (npm)', async () => {
    const { json } = await bomOf(join(AUDIT, 'projects/npm/package-lock.json'), [
      '--deps-audit',
      '--osv',
      join(AUDIT, 'osv/npm/all.zip'),
    ]);
    const semver = json.vulnerabilities?.find((v) => v.id === 'GHSA-c2qf-rxjj-qqgw');
    expect(semver?.ratings).toEqual([
      expect.objectContaining({
        severity: 'high',
        score: 7.5,
        method: 'CVSSv31',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
      }),
    ]);
  }, 60_000);

  it('SPDX 3 output carries them as security elements and relationships', async () => {
    const dir = tempDir('modelsec-deps-spdx-');
    cpSync(join(AUDIT, 'projects/npm/package-lock.json'), join(dir, 'package-lock.json'));
    writeFileSync(join(dir, 'config.json'), '{"model_type":"bert"}');
    const out = join(dir, '..', `${path.basename(dir)}.spdx.json`);
    const run = await runCli(
      ['bom', dir, '--format', 'spdx3', '-o', out, '--deps-audit', '--osv', join(AUDIT, 'osv/npm/all.zip')],
      {
        env: { SOURCE_DATE_EPOCH: '1700000000' },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const graph = (JSON.parse(readFileSync(out, 'utf8')) as { '@graph': Record<string, unknown>[] })['@graph'];
    const vuln = graph.find((n) => n.type === 'security_Vulnerability' && n.name === 'GHSA-c2qf-rxjj-qqgw');
    expect(vuln?.externalIdentifier).toEqual([
      { type: 'ExternalIdentifier', externalIdentifierType: 'securityOther', identifier: 'GHSA-c2qf-rxjj-qqgw' },
      { type: 'ExternalIdentifier', externalIdentifierType: 'cve', identifier: 'CVE-2022-25883' },
    ]);
    const semverPkg = graph.find((n) => n.type === 'software_Package' && n.name === 'semver');
    expect(
      graph.some(
        (n) =>
          n.relationshipType === 'hasAssociatedVulnerability' &&
          n.from === semverPkg?.spdxId &&
          (n.to as string[]).includes(vuln?.spdxId as string),
      ),
    ).toBe(true);
    expect(graph.find((n) => n.type === 'security_CvssV3VulnAssessmentRelationship')).toMatchObject({
      from: vuln?.spdxId,
      to: [semverPkg?.spdxId],
      security_score: 7.5,
      security_severity: 'high',
    });
  }, 60_000);

  it('--osv without --deps-audit is a usage error', async () => {
    const run = await runCli(['bom', join(AUDIT, 'projects/clean'), '--osv', OSV]);
    expect(run.code).toBe(2);
  });
});

describe('the registry policy "dependencies"', () => {
  let audited: string;
  let clean: string;
  let unaudited: string;
  let noOsv: string;
  beforeAll(async () => {
    audited = (await bomOf(join(AUDIT, 'projects/requirements/requirements.txt'), ['--deps-audit', '--osv', OSV])).text;
    clean = (await bomOf(join(AUDIT, 'projects/clean/requirements.txt'), ['--deps-audit', '--osv', OSV])).text;
    unaudited = (await bomOf(join(AUDIT, 'projects/clean/requirements.txt'), [])).text;
    noOsv = (await bomOf(join(AUDIT, 'projects/clean/requirements.txt'), ['--deps-audit'])).text;
  }, 120_000);

  it('refuses known malicious packages, naming each package and record', () => {
    const failed = checkDependencies(audited, { maxSeverity: 'critical', refuseMalicious: true });
    expect(failed).toHaveLength(1);
    expect(failed[0]?.message).toBe(
      'known malicious packages: torchtriton 3.0.0 (MAL-0000-torchtriton), transfomers 4.44.2 (MAL-2026-16136), ultralytics 8.3.41 (MAL-0000-ultralytics)',
    );
  });

  it('refuses findings above maxSeverity; allows what it allows', () => {
    const failed = checkDependencies(audited, { maxSeverity: 'medium', refuseMalicious: false });
    expect(failed.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^dependency findings above the allowed medium: torch 2\.5\.1 \(GHSA-53q9-r3pm-6pq6, critical\), .*torchtriton 3\.0\.0 \(MS-DEP-004, high\)/,
      ),
    ]);
    expect(checkDependencies(audited, { maxSeverity: 'critical', refuseMalicious: false })).toEqual([]);
    expect(checkDependencies(clean, { maxSeverity: 'info', refuseMalicious: true })).toEqual([]);
  });

  it('fails closed without a recorded audit, or with refuseMalicious and no OSV database', () => {
    expect(checkDependencies(unaudited, { maxSeverity: 'medium', refuseMalicious: false })[0]?.message).toMatch(
      /records no dependency audit/,
    );
    expect(checkDependencies(undefined, { maxSeverity: 'medium', refuseMalicious: false })[0]?.message).toMatch(
      /an ML-BOM with a dependency audit/,
    );
    expect(checkDependencies(noOsv, { maxSeverity: 'medium', refuseMalicious: true })[0]?.message).toMatch(
      /read no OSV database/,
    );
    expect(checkDependencies(noOsv, { maxSeverity: 'medium', refuseMalicious: false })).toEqual([]);
  });

  describe('at push, over HTTP', () => {
    let registry: Awaited<ReturnType<typeof testRegistry>>;
    let client: RegistryClient;
    beforeAll(async () => {
      registry = await testRegistry();
      const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
      client = new RegistryClient({ baseUrl: url, token: ADMIN });
      await client.json('POST', '/v1/namespaces', { json: { name: 'deps' } });
      await client.json('PUT', '/v1/namespaces/deps/policy', {
        json: { scan: { required: false }, dependencies: { maxSeverity: 'high', refuseMalicious: true } },
      });
    });
    afterAll(async () => registry.app.close());

    async function push(bom: string | undefined, version: string) {
      const model = await signedModel();
      let bomPath: string | undefined;
      if (bom !== undefined) {
        const dir = tempDir('modelsec-bom-');
        mkdirSync(dir, { recursive: true });
        bomPath = join(dir, 'bom.json');
        writeFileSync(bomPath, bom);
      }
      return pushModel(client, model.dir, parseModelRef(`deps/tiny@${version}`), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
        ...(bomPath ? { bomPath } : {}),
      });
    }

    it('a push whose ML-BOM records malicious packages is refused with each package named', async () => {
      const error = await push(audited, '1.0.0').then(
        () => undefined,
        (e: unknown) => e as { code: string; details: { failed: { rule: string; message: string }[] } },
      );
      expect(error?.code).toBe('POLICY_DENIED');
      const deps = error?.details.failed.filter((f) => f.rule === 'dependencies') ?? [];
      expect(deps.map((f) => f.message)).toEqual([
        expect.stringContaining('torchtriton 3.0.0 (MAL-0000-torchtriton)'),
        expect.stringContaining('torch 2.5.1 (GHSA-53q9-r3pm-6pq6, critical)'),
      ]);
    });

    it('a push with a clean audited ML-BOM is accepted; one without an ML-BOM is refused', async () => {
      await expect(push(clean, '1.0.1')).resolves.toMatchObject({ rootDigest: expect.any(String) });
      await expect(push(undefined, '1.0.2')).rejects.toMatchObject({ code: 'POLICY_DENIED' });
    });
  });
});
