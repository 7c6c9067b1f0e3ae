export type {
  DeclaredPackage,
  DependencyParseResult,
  DependencyWarning,
  PackageEcosystem,
  PackageHash,
} from './dependency-types.js';
export * from './deps/index.js';
export * from './score/index.js';
export * from './spdx/index.js';
export * from './validate/index.js';
