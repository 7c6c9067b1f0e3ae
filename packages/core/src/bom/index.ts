export type { DeclaredPackage, DependencyParseResult, PackageEcosystem, PackageHash } from './dependency-types.js';
export * from './validate/index.js';
