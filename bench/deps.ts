/**
 * Deps bench (issue #14): a 300-package requirements lockfile matched by the real CLI (`modelsec deps --osv
 * all.zip --format json`, a child process: start-up included, peak RSS sampled) against a full-size synthetic PyPI
 * export in osv.dev's layout: 200,000 deflated records (quick: 20,000) over 40,000 package names, ~1 KB each, the
 * 300 packages among them. Same-run baselines: reading the zip's bytes once (a child doing 8 MB reads) and, in
 * process, inflating every entry without parsing it; the audit is also timed in process, wall and CPU time (CPU time
 * is what contention from other processes on a shared machine does not inflate). Targets: < 10 s and < 400 MB RSS.
 * The export is built once under os.tmpdir() and reused by later runs.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditDependencies } from '@modelsec/core';
import { writeOsvExport } from '../fixtures/scripts/lib/osv-export.js';
import { iterateZipEntries } from '../packages/core/src/deps/osv-zip.js';
import { type BenchOptions, type BenchResult, round, runCli, runTimedChild, target, timeIt } from './lib.js';

const NAMES = 40_000;
const PROJECT_PACKAGES = 300;

function record(i: number): { name: string; data: string } {
  const pkg = `synthetic-package-${i % NAMES}`;
  const id = `PYSEC-2099-${i}`;
  const major = i % 7;
  return {
    name: `${id}.json`,
    data: JSON.stringify({
      schema_version: '1.6.0',
      id,
      modified: '2025-01-01T00:00:00Z',
      published: '2024-06-01T00:00:00Z',
      aliases: [`CVE-2099-${i}`],
      summary: `Synthetic vulnerability ${i} in ${pkg}`,
      details: `A synthetic record of a realistic size: ${'the package mishandles untrusted input; '.repeat(12)}`,
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
      affected: [
        {
          package: { ecosystem: 'PyPI', name: pkg, purl: `pkg:pypi/${pkg}` },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: `${major}.0` }, { fixed: `${major}.4.${i % 10}` }] }],
          versions: [`${major}.0`, `${major}.1`, `${major}.2`, `${major}.3`],
          database_specific: { source: `https://example.invalid/advisories/${id}.json` },
        },
      ],
      references: [
        { type: 'ADVISORY', url: `https://example.invalid/advisories/${id}` },
        { type: 'PACKAGE', url: `https://pypi.org/project/${pkg}` },
      ],
    }),
  };
}

function buildExport(path: string, count: number): void {
  const entries = function* () {
    for (let i = 0; i < count; i++) yield record(i);
  };
  writeFileSync(path, writeOsvExport(entries()));
}

function readAllChild(path: string) {
  const script = `const fs=require('node:fs');const fd=fs.openSync(${JSON.stringify(path)},'r');const b=Buffer.allocUnsafe(8<<20);let n,t=0;while((n=fs.readSync(fd,b,0,b.length,null))>0)t+=n;fs.closeSync(fd);process.stdout.write(String(t));`;
  return runTimedChild(process.execPath, ['-e', script]);
}

async function inflateAll(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const { entries } = await iterateZipEntries(handle, size);
    let bytes = 0;
    for await (const e of entries) bytes += e.data.length;
    return bytes;
  } finally {
    await handle.close();
  }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const records = opts.quick ? 20_000 : 200_000;
  const dir = join(tmpdir(), 'modelsec-bench-deps');
  mkdirSync(dir, { recursive: true });
  const zip = join(dir, `PyPI-all-${records}.zip`);
  if (!existsSync(zip)) {
    process.stderr.write(`  building a synthetic ${records}-record OSV export (once)...\n`);
    buildExport(zip, records);
  }
  const project = join(dir, 'project');
  mkdirSync(project, { recursive: true });
  const lines = Array.from({ length: PROJECT_PACKAGES }, (_, i) => `synthetic-package-${i * 131}==${i % 7}.2`);
  writeFileSync(join(project, 'requirements.txt'), `${lines.join('\n')}\n`);

  // Warm the page cache, then the same-run baselines.
  const warm = openSync(zip, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  while (readSync(warm, buf, 0, buf.length, null) > 0);
  closeSync(warm);
  const read = await readAllChild(zip);
  const inflate = await timeIt(() => inflateAll(zip));

  // In process too: wall and CPU time (the CPU figure is what contention on a shared machine does not inflate).
  const cpu0 = process.cpuUsage();
  const inProcess = await timeIt(() => auditDependencies({ paths: [project], cwd: project, osv: [zip], workflows: false }));
  const cpu = process.cpuUsage(cpu0);
  const cli = await runCli(['deps', project, '--osv', zip, '--format', 'json']);
  const report = JSON.parse(cli.stdout) as { findings: unknown[]; osv: { recordsKept: number } };
  return [
    {
      name: `deps: ${PROJECT_PACKAGES}-package lockfile against a ${records.toLocaleString('en')}-record PyPI export`,
      // CLI as a child, start-up included; quick inputs are too small for the time and memory targets.
      targets: [
        // 0: no findings over the threshold, 1: findings (this project has some); 2 and above: an error.
        target('exit code (0 or 1: findings)', cli.code ?? -1, '<=', 1),
        ...(opts.quick
          ? []
          : [
              target('modelsec deps (s)', round(cli.seconds), '<', 10),
              target('modelsec deps peak RSS (MB)', cli.peakMb, '<', 400),
            ]),
      ],
      figures: {
        'zip size (MB)': round(statSync(zip).size / 2 ** 20, 1),
        ...(opts.quick ? { 'modelsec deps (s)': round(cli.seconds), 'modelsec deps peak RSS (MB)': cli.peakMb } : {}),
        'in process: wall (s)': round(inProcess.seconds),
        'in process: CPU user+system (s)': round((cpu.user + cpu.system) / 1e6),
        'records kept': report.osv.recordsKept,
        findings: report.findings.length,
        'baseline: read the zip once (s, child)': round(read.seconds),
        'baseline: inflate every entry (s, in process)': round(inflate.seconds),
        'ratio deps / read': round(cli.seconds / read.seconds, 1),
        'ratio deps / inflate': round(cli.seconds / inflate.seconds, 1),
      },
    },
  ];
}
