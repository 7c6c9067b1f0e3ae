/**
 * Pinning (MS-DEP-006..009): what an install of the project may resolve to. Requirements files are read line by
 * line (the ML-BOM parser skips URL and editable lines, which are exactly what matters here); lockfiles by their
 * package sources; conda environments by their specs. Ranges are judged only in application contexts
 * (requirements*.txt and conda environments, not requirements*.in, which a resolver compiles, nor pyproject.toml,
 * whose ranges are a library's metadata); lockfiles are pinned by construction.
 */
import { parse as parseToml } from 'smol-toml';
import type { DeclaredPackage } from '../bom/dependency-types.js';
import { parseRequirement } from '../bom/deps/pep508.js';
import { logicalLines } from '../bom/deps/requirements.js';
import { ruleById } from '../scan/rules/index.js';
import type { Severity } from '../scan/types.js';
import type { DependencyFileContext } from './collect.js';
import { normalizeName } from './names.js';
import type { DepsFinding } from './types.js';

const VCS = /^(git|hg|svn|bzr)\+/i;
const FULL_COMMIT = /@[0-9a-f]{40}(?:[#&]|$)/i;
const LOCAL = /^(file:|\.{0,2}\/|~\/|[A-Za-z]:[\\/])|\.(whl|tar\.gz|zip|tar\.bz2)$/i;

type Origin = { kind: 'vcs' | 'url' | 'local'; pinned: boolean };

/** How a requirement's target is fetched: a VCS checkout, a URL, or a local file; undefined for an index release. */
export function originOf(target: string, hashed: boolean): Origin | undefined {
  const t = target.trim();
  if (VCS.test(t)) return { kind: 'vcs', pinned: FULL_COMMIT.test(t) };
  if (/^https?:\/\//i.test(t)) return { kind: 'url', pinned: hashed || /#(sha256|sha384|sha512)=[0-9a-f]+/i.test(t) };
  if (LOCAL.test(t) || t === '.') return { kind: 'local', pinned: hashed };
  return undefined;
}

function make(
  ruleId: string,
  severity: Severity,
  message: string,
  file: string,
  line: number | undefined,
  pkg: DeclaredPackage | { name: string } | undefined,
  evidence: Record<string, unknown>,
): DepsFinding {
  const full = pkg && 'purl' in pkg ? pkg : undefined;
  return {
    ruleId,
    severity,
    message,
    file,
    ...(line !== undefined ? { line } : {}),
    ...(full
      ? {
          package: {
            ecosystem: full.ecosystem,
            name: full.name,
            ...(full.version ? { version: full.version } : {}),
            purl: full.purl,
          },
        }
      : {}),
    evidence,
    references: [...(ruleById(ruleId)?.references ?? [])],
  };
}

function originFinding(
  origin: Origin,
  file: string,
  line: number | undefined,
  label: string,
  target: string,
  pkg?: DeclaredPackage,
): DepsFinding {
  if (origin.kind === 'local')
    return make('MS-DEP-009', 'low', `${label} installs a local file or directory (${target.slice(0, 120)})`, file, line, pkg, {
      target,
    });
  const what = origin.kind === 'vcs' ? 'a version-control checkout' : 'a direct URL';
  return make(
    'MS-DEP-008',
    origin.pinned ? 'low' : 'medium',
    `${label} installs from ${what} (${target.slice(0, 120)})${origin.pinned ? ', pinned by hash or full commit id' : ', not pinned by a hash or a full commit id'}`,
    file,
    line,
    pkg,
    { target, pinned: origin.pinned },
  );
}

function requirementsPinning(file: DependencyFileContext): DepsFinding[] {
  const out: DepsFinding[] = [];
  const lines = logicalLines(file.text);
  const application = /\.txt$/i.test(file.source);
  const hashing = lines.some((l) => /^--require-hashes\b/.test(l.text) || /\s--hash[=\s]/.test(l.text));
  const byName = new Map(file.packages.filter((p) => p.source === file.source).map((p) => [p.name, p]));
  for (const { text, line } of lines) {
    let body = text;
    let editable = false;
    const e = /^(-e|--editable)(?:\s*=\s*|\s+)(.*)$/.exec(text);
    if (e) {
      editable = true;
      body = e[2] ?? '';
    } else if (text.startsWith('-')) continue;
    const hashed = /\s--hash[=\s]/.test(body);
    const requirement = body.split(/\s+--?[A-Za-z]/)[0]?.trim() ?? '';
    const named = /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@/.test(requirement);
    const direct = named ? undefined : originOf(requirement, hashed);
    if (direct) {
      const egg = /#.*egg=([A-Za-z0-9._-]+)/.exec(requirement)?.[1];
      out.push(
        originFinding(direct, file.source, line, egg ?? (editable ? 'an editable install' : 'a requirement'), requirement),
      );
      continue;
    }
    const parsed = parseRequirement(requirement);
    if ('error' in parsed) continue;
    const pkg = byName.get(normalizeName('pypi', parsed.name));
    if (parsed.url) {
      const origin = originOf(parsed.url, hashed) ?? { kind: 'url' as const, pinned: hashed };
      out.push(originFinding(origin, file.source, line, parsed.name, parsed.url, pkg));
      continue;
    }
    if (application && parsed.pinned === undefined)
      out.push(
        make('MS-DEP-006', 'low', `${parsed.name} is not pinned (${parsed.specifier || 'any version'})`, file.source, line, pkg, {
          specifier: parsed.specifier,
        }),
      );
    if (hashing && !hashed)
      out.push(
        make('MS-DEP-007', 'medium', `${parsed.name} has no --hash while this file checks hashes`, file.source, line, pkg, {}),
      );
  }
  return out;
}

/** A conda spec `=1.26.4` or `==1.26.4` (a full version, no wildcard or range) names one release. */
const CONDA_PIN = /^={1,2}\s*[A-Za-z0-9][A-Za-z0-9._+!-]*$/;

function condaPinning(file: DependencyFileContext): DepsFinding[] {
  return file.packages
    .filter(
      (p) =>
        p.version === undefined &&
        !(p.ecosystem === 'conda' && CONDA_PIN.test(p.versionRange ?? '') && /\d+\.\d+\.\d+/.test(p.versionRange ?? '')),
    )
    .map((p) =>
      make('MS-DEP-006', 'low', `${p.name} is not pinned (${p.versionRange ?? 'any version'})`, file.source, undefined, p, {
        specifier: p.versionRange ?? '',
      }),
    );
}

function missingHashes(file: DependencyFileContext, exempt: Set<string>): DepsFinding[] {
  const hashed = file.packages.filter((p) => p.hashes.length > 0).length;
  if (hashed === 0) return [];
  return file.packages
    .filter((p) => p.hashes.length === 0 && !exempt.has(p.name))
    .map((p) =>
      make(
        'MS-DEP-007',
        'medium',
        `${p.name} ${p.version ?? ''} has no hash while the lockfile hashes ${hashed} other package(s)`.replace('  ', ' '),
        file.source,
        undefined,
        p,
        {},
      ),
    );
}

function tomlPackages(text: string): Record<string, unknown>[] {
  try {
    const doc = parseToml(text) as Record<string, unknown>;
    return Array.isArray(doc.package) ? (doc.package as Record<string, unknown>[]) : [];
  } catch {
    return [];
  }
}

function lockfilePinning(file: DependencyFileContext): DepsFinding[] {
  const out: DepsFinding[] = [];
  const byName = new Map(file.packages.map((p) => [p.name, p]));
  const exempt = new Set<string>();
  const record = (name: string, origin: Origin | undefined, target: string): void => {
    const key = normalizeName(file.kind === 'package-lock' ? 'npm' : 'pypi', name);
    exempt.add(key);
    if (origin) out.push(originFinding(origin, file.source, undefined, name, target, byName.get(key)));
  };
  if (file.kind === 'uv-lock') {
    for (const p of tomlPackages(file.text)) {
      const source = (p.source ?? {}) as Record<string, unknown>;
      const name = String(p.name ?? '');
      if (typeof source.git === 'string') record(name, originOf(`git+${source.git}`, false), source.git);
      else if (typeof source.url === 'string') record(name, { kind: 'url', pinned: Boolean(p.sdist ?? p.wheels) }, source.url);
      else if (typeof source.path === 'string') record(name, { kind: 'local', pinned: false }, source.path);
      else if (typeof source.directory === 'string') record(name, { kind: 'local', pinned: false }, source.directory);
      else if (typeof source.editable === 'string' || typeof source.virtual === 'string') record(name, undefined, '');
    }
  } else if (file.kind === 'poetry-lock') {
    for (const p of tomlPackages(file.text)) {
      const source = (p.source ?? {}) as Record<string, unknown>;
      const name = String(p.name ?? '');
      const url = String(source.url ?? '');
      const ref = String(source.resolved_reference ?? source.reference ?? '');
      if (source.type === 'git') record(name, { kind: 'vcs', pinned: /^[0-9a-f]{40}$/.test(ref) }, `${url}@${ref}`);
      else if (source.type === 'url') record(name, { kind: 'url', pinned: Array.isArray(p.files) && p.files.length > 0 }, url);
      else if (source.type === 'file' || source.type === 'directory') record(name, { kind: 'local', pinned: false }, url);
    }
  } else if (file.kind === 'pipfile-lock') {
    try {
      const doc = JSON.parse(file.text) as Record<string, Record<string, Record<string, unknown>>>;
      for (const section of ['default', 'develop'])
        for (const [name, e] of Object.entries(doc[section] ?? {})) {
          if (typeof e !== 'object' || e === null) continue;
          if (typeof e.git === 'string')
            record(name, { kind: 'vcs', pinned: /^[0-9a-f]{40}$/.test(String(e.ref ?? '')) }, `${e.git}@${String(e.ref ?? '')}`);
          else if (typeof e.file === 'string') record(name, originOf(e.file, false) ?? { kind: 'url', pinned: false }, e.file);
          else if (typeof e.path === 'string') record(name, { kind: 'local', pinned: false }, e.path);
        }
    } catch {
      // unreadable: the parser already warned
    }
  } else if (file.kind === 'package-lock') {
    try {
      const doc = JSON.parse(file.text) as { packages?: Record<string, Record<string, unknown>> };
      for (const [path, e] of Object.entries(doc.packages ?? {})) {
        if (path === '' || typeof e !== 'object' || e === null || e.link === true) continue;
        const resolved = typeof e.resolved === 'string' ? e.resolved : '';
        const name = typeof e.name === 'string' ? e.name : path.slice(path.lastIndexOf('node_modules/') + 13);
        if (/^(git\+|git:|github:|gitlab:|bitbucket:)/.test(resolved))
          record(name, { kind: 'vcs', pinned: /#[0-9a-f]{40}$/.test(resolved) }, resolved);
        else if (resolved.startsWith('file:')) record(name, { kind: 'local', pinned: typeof e.integrity === 'string' }, resolved);
      }
    } catch {
      // unreadable: the parser already warned
    }
    return out; // npm lockfiles: integrity is npm's own, not judged here
  }
  out.push(...missingHashes(file, exempt));
  return out;
}

/** Pinning findings of every file. */
export function pinningFindings(files: readonly DependencyFileContext[]): DepsFinding[] {
  const out: DepsFinding[] = [];
  for (const file of files) {
    if (file.kind === 'requirements') out.push(...requirementsPinning(file));
    else if (file.kind === 'conda-environment') out.push(...condaPinning(file));
    else if (file.kind === 'pyproject') continue;
    else out.push(...lockfilePinning(file));
  }
  return out;
}
