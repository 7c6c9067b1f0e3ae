/**
 * `modelsec deps` as a library call: reads the project's dependency files, loads the OSV databases given (keeping
 * only the records naming the project's packages), runs every rule, and returns one deterministic report (findings
 * sorted by file, line, rule and package). The CLI prints it; nothing here writes to a stream.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { DeclaredPackage, DependencyWarning } from '../bom/dependency-types.js';
import type { ScanConfig, Suppression } from '../scan/config.js';
import { SEVERITIES, type Severity } from '../scan/types.js';
import { collectDependencyFiles, type DependencyFileContext, displayPath as displayPathOf, lineOf } from './collect.js';
import { confusionFindings, knownConfusionFindings } from './confusion.js';
import { matchPackages } from './match.js';
import { packageKey } from './names.js';
import { loadOsv, OsvIndex, type OsvProgress } from './osv-load.js';
import { pinningFindings } from './pinning.js';
import { auditSitePackages } from './site-packages.js';
import type { DepsFinding, DepsReport } from './types.js';
import { typosquatFindings } from './typosquat.js';
import { auditWorkflows } from './workflows.js';

export interface DepsAuditOptions {
  /** Project or model directories, or dependency files. */
  paths: readonly string[];
  /** Directory relative paths are resolved against and reported relative to. */
  cwd: string;
  /** OSV zip exports, directories of OSV JSON, or JSON records. */
  osv?: readonly string[];
  /** The clock withdrawn records are judged by (default: now). */
  now?: Date;
  /** Installed-package trees (a virtualenv's site-packages, an unpacked wheel). */
  sitePackages?: readonly string[];
  /**
   * Workflow directory. Default: `.github/workflows` under each directory PATH, when it exists. `false`: none.
   */
  workflows?: string | false;
  /** The user's config: its suppressions (ruleId + path glob + reason) and what the scanner reads of it. */
  config?: ScanConfig;
  onOsvProgress?: (progress: OsvProgress) => void;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function compareFindings(a: DepsFinding, b: DepsFinding): number {
  return (
    byString(a.file, b.file) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    byString(a.ruleId, b.ruleId) ||
    byString(a.package?.purl ?? '', b.package?.purl ?? '') ||
    byString(a.message, b.message)
  );
}

function applySuppressions(findings: DepsFinding[], suppressions: readonly Suppression[]): void {
  const matchers = suppressions.map((s) => ({ s, path: s.path ? picomatch(s.path, { dot: true }) : undefined }));
  for (const f of findings) {
    const hit = matchers.find(
      (m) =>
        m.s.ruleId === f.ruleId && (!m.path || m.path(f.file)) && (m.s.sha256 === undefined || m.s.sha256 === f.evidence.sha256),
    );
    if (hit) f.suppressed = { reason: hit.s.reason };
  }
}

function addLines(findings: DepsFinding[], files: readonly DependencyFileContext[]): void {
  const bySource = new Map(files.map((f) => [f.source, f]));
  for (const f of findings) {
    if (f.line !== undefined || !f.package) continue;
    const file = bySource.get(f.file);
    const line = file ? lineOf(file.text, file.kind, f.package.name) : undefined;
    if (line !== undefined) f.line = line;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function workflowDirs(options: DepsAuditOptions): Promise<string[]> {
  if (options.workflows === false) return [];
  if (typeof options.workflows === 'string') return [resolve(options.cwd, options.workflows)];
  const dirs: string[] = [];
  for (const p of options.paths) {
    const dir = join(resolve(options.cwd, p), '.github', 'workflows');
    if ((await isDirectory(resolve(options.cwd, p))) && (await isDirectory(dir)) && !dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/** Runs the audit. */
export async function auditDependencies(options: DepsAuditOptions): Promise<DepsReport> {
  const now = options.now ?? new Date();
  const { files, warnings } = await collectDependencyFiles(options.paths, options.cwd);
  // A file included by another (`-r`) is read with it and on its own: each package once per file it is declared in.
  const unique = new Map<string, DeclaredPackage>();
  for (const p of files.flatMap((f) => f.packages))
    if (!unique.has(`${p.source}\0${p.purl}`)) unique.set(`${p.source}\0${p.purl}`, p);
  const audited: { path: string; kind: string; packages: number }[] = files.map((f) => ({
    path: f.source,
    kind: f.kind,
    packages: f.packages.length,
  }));
  const findings: DepsFinding[] = [];
  for (const dir of options.sitePackages ?? []) {
    const site = await auditSitePackages(resolve(options.cwd, dir), options.cwd, options.config);
    for (const p of site.packages) unique.set(`${p.source}\0${p.purl}`, p);
    findings.push(...site.findings);
    audited.push({
      path: displayPathOf(resolve(options.cwd, dir), options.cwd),
      kind: 'site-packages',
      packages: site.packages.length,
    });
  }
  const packages = [...unique.values()];
  const seenWarnings = new Set<string>();
  const firstSeen = (w: DependencyWarning): boolean => {
    const key = `${w.file}\0${w.line ?? ''}\0${w.code}\0${w.message}`;
    if (seenWarnings.has(key)) return false;
    seenWarnings.add(key);
    return true;
  };
  const allWarnings: DependencyWarning[] = warnings.filter(firstSeen);

  const wanted = new Set<string>();
  for (const p of packages) if (p.ecosystem === 'pypi' || p.ecosystem === 'npm') wanted.add(packageKey(p.ecosystem, p.name));
  const index =
    options.osv && options.osv.length > 0
      ? await loadOsv(options.osv, { wanted, ...(options.onOsvProgress ? { onProgress: options.onOsvProgress } : {}) })
      : new OsvIndex();
  const matched = matchPackages(packages, index, now);
  findings.push(...matched.findings);
  allWarnings.push(...matched.warnings.filter(firstSeen));
  findings.push(...typosquatFindings(packages, index));
  findings.push(...confusionFindings(files));
  findings.push(...pinningFindings(files));

  for (const dir of await workflowDirs(options)) {
    const wf = await auditWorkflows(dir, options.cwd);
    findings.push(...wf.findings);
    for (const path of wf.files) audited.push({ path, kind: 'github-workflow', packages: 0 });
  }

  addLines(findings, files);
  applySuppressions(findings, options.config?.suppressions ?? []);
  findings.sort(compareFindings);
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let suppressed = 0;
  for (const f of findings) {
    if (f.suppressed) suppressed++;
    else counts[f.severity]++;
  }
  return {
    files: audited.sort((a, b) => byString(a.path, b.path)),
    osv: { sources: index.sources, recordsKept: index.size },
    findings,
    warnings: allWarnings.sort(
      (a, b) => byString(a.file, b.file) || (a.line ?? 0) - (b.line ?? 0) || byString(a.message, b.message),
    ),
    summary: { files: audited.length, packages: packages.length, findings: counts, suppressed },
  };
}

export interface PackageAuditOptions {
  osv?: readonly string[];
  now?: Date;
  onOsvProgress?: (progress: OsvProgress) => void;
}

/**
 * The package-level rules only (known vulnerable and malicious packages from OSV, known confusion names,
 * typosquats) over packages already read, e.g. an ML-BOM's libraries: what `bom --deps-audit` records as
 * vulnerabilities on each library component. Rules that read files (indexes, pinning, workflows) belong to
 * `modelsec deps`.
 */
export async function auditDeclaredPackages(
  packages: readonly DeclaredPackage[],
  options: PackageAuditOptions = {},
): Promise<{ findings: DepsFinding[]; warnings: DependencyWarning[]; osv: DepsReport['osv'] }> {
  const wanted = new Set<string>();
  for (const p of packages) if (p.ecosystem === 'pypi' || p.ecosystem === 'npm') wanted.add(packageKey(p.ecosystem, p.name));
  const index =
    options.osv && options.osv.length > 0
      ? await loadOsv(options.osv, { wanted, ...(options.onOsvProgress ? { onProgress: options.onOsvProgress } : {}) })
      : new OsvIndex();
  const matched = matchPackages(packages, index, options.now ?? new Date());
  const findings = [...matched.findings, ...typosquatFindings(packages, index), ...knownConfusionFindings(packages)].sort(
    compareFindings,
  );
  return { findings, warnings: matched.warnings, osv: { sources: index.sources, recordsKept: index.size } };
}
