import type { DeclaredPackage, DependencyParseResult } from '../dependency-types.js';
import { sortHashes } from './hashes.js';
import { MAX_DEPENDENCY_ENTRIES, MAX_HASHES_PER_PACKAGE } from './limits.js';
import { DEPENDENCY_WARNING_CODES, type WarningSink } from './warnings.js';

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Accumulates the packages of one file: merges duplicates by purl (union of hashes and edges), enforces
 * MAX_DEPENDENCY_ENTRIES, and returns a deterministic (sorted) result.
 */
export class PackageCollector {
  private readonly packages = new Map<string, DeclaredPackage>();
  private readonly direct = new Set<string>();
  private limitHit = false;

  constructor(readonly sink: WarningSink) {}

  get full(): boolean {
    return this.limitHit;
  }

  get size(): number {
    return this.packages.size;
  }

  /** Adds a package; returns false once the entry limit is reached (the caller should stop). */
  add(pkg: DeclaredPackage, line?: number): boolean {
    const existing = this.packages.get(pkg.purl);
    if (existing) {
      existing.hashes = sortHashes([...existing.hashes, ...pkg.hashes]).slice(0, MAX_HASHES_PER_PACKAGE);
      existing.dependsOn = [...new Set([...existing.dependsOn, ...pkg.dependsOn])].sort(byString);
      if (existing.scope === 'optional' && pkg.scope === 'required') existing.scope = 'required';
      return true;
    }
    if (this.packages.size >= MAX_DEPENDENCY_ENTRIES) {
      if (!this.limitHit) {
        this.sink.add(
          DEPENDENCY_WARNING_CODES.LIMIT_EXCEEDED,
          `more than ${MAX_DEPENDENCY_ENTRIES} packages (MAX_DEPENDENCY_ENTRIES); the rest of the file is ignored`,
          line,
        );
      }
      this.limitHit = true;
      return false;
    }
    if (pkg.hashes.length > MAX_HASHES_PER_PACKAGE) {
      this.sink.add(
        DEPENDENCY_WARNING_CODES.LIMIT_EXCEEDED,
        `${pkg.name}: ${pkg.hashes.length} hashes, only the first ${MAX_HASHES_PER_PACKAGE} kept (MAX_HASHES_PER_PACKAGE)`,
        line,
      );
    }
    this.packages.set(pkg.purl, {
      ...pkg,
      hashes: sortHashes(pkg.hashes.slice(0, MAX_HASHES_PER_PACKAGE)),
      dependsOn: [...new Set(pkg.dependsOn)].sort(byString),
      ...(pkg.extras ? { extras: [...new Set(pkg.extras)].sort(byString) } : {}),
    });
    return true;
  }

  markDirect(purl: string): void {
    this.direct.add(purl);
  }

  has(purl: string): boolean {
    return this.packages.has(purl);
  }

  result(): DependencyParseResult {
    const packages = [...this.packages.values()].sort((a, b) => byString(a.purl, b.purl));
    return {
      packages,
      direct: [...this.direct].filter((p) => this.packages.has(p)).sort(byString),
      warnings: this.sink.warnings,
    };
  }
}
