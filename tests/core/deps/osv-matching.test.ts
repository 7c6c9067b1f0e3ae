/**
 * OSV matching semantics (https://ossf.github.io/osv-schema/#evaluation) on the tricky cases: PEP 440 pre-, post-,
 * dev- and local versions and epochs, `introduced: "0"`, `last_affected` (inclusive) against `fixed` (exclusive),
 * several introduced/fixed pairs, SEMVER ranges, listed versions, withdrawn records, aliases merged, ratings.
 */
import {
  affectedCovers,
  cvss3BaseScore,
  type DeclaredPackage,
  evaluateRange,
  matchPackages,
  type OsvEcosystem,
  OsvIndex,
  type OsvRange,
  type OsvRecord,
  packageKey,
  pypiPurl,
  rateRecord,
} from '@modelsec/core';
import { describe, expect, it } from 'vitest';

const eco = (events: OsvRange['events']): OsvRange => ({ type: 'ECOSYSTEM', events });
const semverRange = (events: OsvRange['events']): OsvRange => ({ type: 'SEMVER', events });

function affected(range: OsvRange, version: string, ecosystem: OsvEcosystem = 'pypi'): string {
  return evaluateRange(range, version, ecosystem);
}

describe('ECOSYSTEM ranges on PyPI are ordered by PEP 440', () => {
  const upTo2 = eco([{ introduced: '0' }, { fixed: '2.0' }]);
  it.each([
    ['1.9', 'affected'],
    ['2.0', 'unaffected'],
    ['2.0.0', 'unaffected'], // 2.0 == 2.0.0 in PEP 440
    ['2.0rc1', 'affected'], // a pre-release of the fixed version is below it
    ['2.0.dev0', 'affected'],
    ['2.0a1', 'affected'],
    ['1.9.post1', 'affected'],
    ['2.0.post1', 'unaffected'],
    ['1.9+cu121', 'affected'], // local versions sort above their public version, still below 2.0
    ['2.0+cu121', 'unaffected'],
    ['1!0.5', 'unaffected'], // epoch 1 is above every epoch-0 version
    ['0.0.1', 'affected'], // "0" introduces at the beginning of time
  ])('introduced 0, fixed 2.0: %s is %s', (version, outcome) => {
    expect(affected(upTo2, version)).toBe(outcome);
  });

  it('last_affected is inclusive, fixed is exclusive', () => {
    const last = eco([{ introduced: '1.0' }, { last_affected: '1.5' }]);
    expect(affected(last, '1.5')).toBe('affected');
    expect(affected(last, '1.5.post1')).toBe('unaffected');
    expect(affected(last, '0.9')).toBe('unaffected');
    const fixed = eco([{ introduced: '1.0' }, { fixed: '1.5' }]);
    expect(affected(fixed, '1.5')).toBe('unaffected');
    expect(affected(fixed, '1.4.9')).toBe('affected');
    expect(affected(fixed, '1.0')).toBe('affected');
    expect(affected(fixed, '1.0rc1')).toBe('unaffected'); // below introduced
  });

  it('several introduced/fixed pairs, in any event order', () => {
    const pairs = eco([{ fixed: '2.5' }, { introduced: '2.0' }, { fixed: '1.0' }, { introduced: '0' }]);
    expect(affected(pairs, '0.9')).toBe('affected');
    expect(affected(pairs, '1.5')).toBe('unaffected');
    expect(affected(pairs, '2.1')).toBe('affected');
    expect(affected(pairs, '2.5')).toBe('unaffected');
    expect(affected(pairs, '3.0')).toBe('unaffected');
  });

  it('no fixed event: every version from introduced on; limit does not change matching', () => {
    expect(affected(eco([{ introduced: '0' }]), '99.0')).toBe('affected');
    expect(affected(eco([{ introduced: '1.0' }, { limit: '1.2' }]), '5.0')).toBe('affected');
  });

  it('a version PEP 440 cannot read is undecidable, never silently unaffected', () => {
    expect(affected(upTo2, 'not-a-version')).toBe('undecidable');
  });
});

describe('npm and SEMVER ranges', () => {
  const redos = semverRange([
    { introduced: '0' },
    { fixed: '5.7.2' },
    { introduced: '6.0.0' },
    { fixed: '6.3.1' },
    { introduced: '7.0.0' },
    { fixed: '7.5.2' },
  ]);
  it.each([
    ['5.7.1', 'affected'],
    ['5.7.2', 'unaffected'],
    ['6.3.0', 'affected'],
    ['6.3.1', 'unaffected'],
    ['7.5.2-beta.1', 'affected'], // a semver pre-release of the fix is below it
    ['7.5.2', 'unaffected'],
    ['v7.5.1', 'affected'], // a leading v is tolerated
  ])('semver %s is %s', (version, outcome) => {
    expect(affected(redos, version, 'npm')).toBe(outcome);
  });

  it('ECOSYSTEM on npm is semver; GIT ranges never match a version', () => {
    expect(affected(eco([{ introduced: '1.0.0' }, { fixed: '1.2.0' }]), '1.1.9', 'npm')).toBe('affected');
    expect(affected({ type: 'GIT', events: [{ introduced: '0' }] }, '1.0.0', 'npm')).toBe('unaffected');
  });

  it('listed versions match exactly (PEP 440 equality on PyPI), ranges or not', () => {
    const entry = { versions: ['8.3.41', '8.3.42'] };
    expect(affectedCovers(entry, '8.3.41', 'pypi')).toBe('affected');
    expect(affectedCovers(entry, '8.3.41.0', 'pypi')).toBe('affected');
    expect(affectedCovers(entry, '8.3.43', 'pypi')).toBe('unaffected');
    expect(affectedCovers({ versions: ['0.1.1'] }, '0.1.1', 'npm')).toBe('affected');
  });
});

function pkg(name: string, version?: string, range?: string): DeclaredPackage {
  return {
    ecosystem: 'pypi',
    name,
    ...(version ? { version } : {}),
    ...(range ? { versionRange: range } : {}),
    purl: pypiPurl(name, version),
    hashes: [],
    dependsOn: [],
    scope: 'required',
    source: 'requirements.txt',
  };
}

function indexOf(records: OsvRecord[], names: string[]): OsvIndex {
  const wanted = new Set(names.map((n) => packageKey('pypi', n)));
  const index = new OsvIndex();
  for (const r of records) index.add(r, wanted);
  return index;
}

const NOW = new Date('2026-01-01T00:00:00Z');

describe('matching packages against records', () => {
  const ghsa: OsvRecord = {
    id: 'GHSA-aaaa-bbbb-cccc',
    aliases: ['CVE-2024-0001'],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem: 'PyPI', name: 'Some_Lib' }, ranges: [eco([{ introduced: '0' }, { fixed: '1.2' }])] }],
  };
  const pysec: OsvRecord = {
    id: 'PYSEC-2024-1',
    aliases: ['CVE-2024-0001'],
    affected: [{ package: { ecosystem: 'PyPI', name: 'some-lib' }, ranges: [eco([{ introduced: '0' }, { fixed: '1.2' }])] }],
  };

  it('names are compared PEP 503-normalised; records aliasing each other are one finding naming every id', () => {
    const { findings } = matchPackages([pkg('some.lib', '1.1')], indexOf([ghsa, pysec], ['some-lib']), NOW);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'MS-DEP-001', severity: 'critical', evidence: { fixed: ['1.2'] } });
    expect(findings[0]?.evidence.ids).toEqual(['CVE-2024-0001', 'GHSA-aaaa-bbbb-cccc', 'PYSEC-2024-1']);
    expect(findings[0]?.records?.map((r) => r.id)).toEqual(['GHSA-aaaa-bbbb-cccc', 'PYSEC-2024-1']);
  });

  it('the fixed version is not affected; another ecosystem of the same name never matches', () => {
    const npmOnly: OsvRecord = {
      id: 'GHSA-npm',
      affected: [{ package: { ecosystem: 'npm', name: 'some-lib' }, ranges: [eco([{ introduced: '0' }])] }],
    };
    expect(matchPackages([pkg('some-lib', '1.2')], indexOf([ghsa, npmOnly], ['some-lib']), NOW).findings).toEqual([]);
  });

  it('a withdrawn record never matches once its withdrawn time has passed', () => {
    const withdrawn = { ...ghsa, id: 'GHSA-wwww', aliases: [], withdrawn: '2025-06-01T00:00:00Z' };
    const index = indexOf([withdrawn], ['some-lib']);
    expect(matchPackages([pkg('some-lib', '1.0')], index, NOW).findings).toEqual([]);
    expect(matchPackages([pkg('some-lib', '1.0')], index, new Date('2025-01-01T00:00:00Z')).findings).toHaveLength(1);
  });

  it('MAL- records are critical MS-DEP-002; an unpinned package matches only records affecting every version', () => {
    const mal: OsvRecord = {
      id: 'MAL-2025-1',
      affected: [{ package: { ecosystem: 'PyPI', name: 'evil' }, ranges: [eco([{ introduced: '0' }])] }],
    };
    const malSome: OsvRecord = {
      id: 'MAL-2025-2',
      affected: [{ package: { ecosystem: 'PyPI', name: 'half' }, versions: ['1.0'] }],
    };
    const index = indexOf([mal, malSome, ghsa], ['evil', 'half', 'some-lib']);
    const { findings } = matchPackages(
      [pkg('evil', undefined, '>=0.1'), pkg('half', undefined, '>=1'), pkg('some-lib')],
      index,
      NOW,
    );
    expect(findings.map((f) => [f.ruleId, f.severity, f.package?.name])).toEqual([['MS-DEP-002', 'critical', 'evil']]);
  });

  it('an unorderable version is a warning, not a silent pass', () => {
    const { findings, warnings } = matchPackages([pkg('some-lib', 'banana')], indexOf([ghsa], ['some-lib']), NOW);
    expect(findings).toEqual([]);
    expect(warnings[0]).toMatchObject({ code: 'DEPS_VERSION_UNORDERED', file: 'requirements.txt' });
  });
});

describe('ratings', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N', 5.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
  ])('CVSS v3 base score of %s is %s', (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score);
  });
  it('falls back to the database rating, then to medium; MAL is critical whatever else it says', () => {
    expect(rateRecord({ id: 'GHSA-x', database_specific: { severity: 'MODERATE' } })).toMatchObject({
      severity: 'medium',
      source: 'database',
    });
    expect(rateRecord({ id: 'GHSA-y', severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }] })).toMatchObject({
      severity: 'medium',
      source: 'default',
    });
    expect(rateRecord({ id: 'MAL-1', database_specific: { severity: 'LOW' } })).toMatchObject({
      severity: 'critical',
      source: 'malicious',
    });
    expect(cvss3BaseScore('CVSS:2.0/AV:N')).toBeUndefined();
  });
});
