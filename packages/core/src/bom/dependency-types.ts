/**
 * What a lockfile or manifest parser returns: packages with purls and hashes, and the edges between them where
 * the file gives them. The BOM builder turns these into CycloneDX `library` components and `dependencies`.
 */
export type PackageEcosystem = 'pypi' | 'npm' | 'conda';

export interface PackageHash {
  /** CycloneDX hash algorithm name: 'SHA-256', 'SHA-512', 'SHA-1', 'MD5', ... */
  alg: string;
  /** Lowercase hex. */
  content: string;
}

export interface DeclaredPackage {
  ecosystem: PackageEcosystem;
  name: string;
  /** Exact version when pinned or locked; undefined when only a range is declared. */
  version?: string;
  /** The declared range when not pinned (e.g. '>=2.0,<3'). */
  versionRange?: string;
  /** Package URL (purl), e.g. pkg:pypi/torch@2.3.1 */
  purl: string;
  hashes: PackageHash[];
  /** purls of this package's direct dependencies, when the lockfile gives them. */
  dependsOn: string[];
  /** 'required' for runtime, 'optional' for dev/extras groups. */
  scope: 'required' | 'optional';
  /** The file it came from, relative to the model directory. */
  source: string;
  /** Extras requested (`transformers[torch]` -> ['torch']), sorted; PyPI only. */
  extras?: string[];
  /** PEP 508 environment markers (`python_version >= "3.9"`), or a conda/npm platform note, when declared. */
  markers?: string;
}

export interface DependencyParseResult {
  packages: DeclaredPackage[];
  /** purls of the packages the project depends on directly (roots of the graph), when known. */
  direct: string[];
  /** Problems that did not stop parsing, each naming the file (and line where known). */
  warnings: DependencyWarning[];
}

/** A problem that did not stop parsing, naming the file (and line or field where known). */
export interface DependencyWarning {
  code: string;
  message: string;
  file: string;
  line?: number;
}
