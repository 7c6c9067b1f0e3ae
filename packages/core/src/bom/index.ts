export {
  type BuildOptions,
  type BuiltBom,
  buildModelBom,
  DEPS_AUDIT_PROPERTY,
  type DepsAuditAttachment,
  fileRef,
  MODEL_BOM_REF,
  type ScanAttachment,
} from './build.js';
export type {
  DeclaredPackage,
  DependencyParseResult,
  DependencyWarning,
  PackageEcosystem,
  PackageHash,
} from './dependency-types.js';
export * from './deps/index.js';
export {
  applyJsonExtensions,
  applyXmlExtensions,
  type BomExtensions,
  type ComponentExtension,
  ExtendedJsonSerializer,
  ExtendedXmlSerializer,
} from './extensions.js';
export { type GeneratedModelBom, type GenerateModelBomOptions, gatherModelFactsFor, generateModelBom } from './generate.js';
export { type ModelCard, parseModelCard } from './model/card.js';
export {
  type GatherOptions,
  gatherModelFacts,
  type ListedFile,
  type ModelFileAccess,
  mergeDependencyResults,
} from './model/gather.js';
export { readGitHead } from './model/git.js';
export {
  HeaderError,
  readGgufHeader,
  readOnnxHeader,
  readPytorchZipHeader,
  readSafetensorsHeader,
  readWeightHeader,
  weightFormatOf,
} from './model/headers.js';
export { normaliseLicense } from './model/license.js';
export * from './model/limits.js';
export { gatherLocalModel, type LocalModelOptions, localModelAccess } from './model/local.js';
export type { BomWarning, ModelFacts, ModelFile, ModelOrigin, WeightFormat, WeightSummary } from './model/types.js';
export { MAX_FINDING_DETAIL_CHARS, scanReportsToAttachment } from './scan-attachment.js';
export * from './score/index.js';
export { contentUuid, ML_BOM_SPECS, type MlBomFormat, type MlBomSpec, serializeModelBom } from './serialize.js';
export * from './spdx/index.js';
export * from './validate/index.js';
