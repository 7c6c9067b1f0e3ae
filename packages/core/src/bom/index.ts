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
export {
  condaPurl,
  DEPENDENCY_FILE_KINDS,
  DEPENDENCY_WARNING_CODES,
  type DependencyFileKind,
  dependencyFileKind,
  findDependencyFiles,
  MAX_DEPENDENCY_ENTRIES,
  MAX_DEPENDENCY_FILE_BYTES,
  MAX_DEPENDENCY_FILES_FOUND,
  MAX_DEPENDENCY_SEARCH_DEPTH,
  MAX_DEPENDENCY_SEARCH_ENTRIES,
  MAX_HASHES_PER_PACKAGE,
  MAX_PACKAGE_NAME_CHARS,
  MAX_REQUIREMENT_LINE_CHARS,
  MAX_REQUIREMENTS_INCLUDE_DEPTH,
  MAX_VERSION_CHARS,
  MAX_WARNINGS_PER_FILE,
  normalizePypiName,
  npmPurl,
  type ParseDependencyFileOptions,
  parseCondaEnvironmentText,
  parseCondaSpec,
  parseDependencyFile,
  parseDependencyText,
  parsePackageLockText,
  parsePipfileLockText,
  parsePoetryLockText,
  parsePyprojectText,
  parseRequirementsText,
  parseUvLockText,
  pypiPurl,
} from './deps/index.js';
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
export { gatherHubModel, type HubModelOptions, hubModelAccess } from './model/hub.js';
export { normaliseLicense } from './model/license.js';
export {
  MAX_BOM_MODEL_DIR_DEPTH,
  MAX_BOM_MODEL_FILES,
  MAX_CARD_SECTION_CHARS,
  MAX_CHAT_TEMPLATE_CHARS,
  MAX_HYPERPARAMETERS,
  MAX_METADATA_FILE_BYTES,
  MAX_PYTORCH_PICKLE_BYTES,
} from './model/limits.js';
export { gatherLocalModel, type LocalModelOptions, localModelAccess } from './model/local.js';
export type { BomWarning, ModelFacts, ModelFile, ModelOrigin, WeightFormat, WeightSummary } from './model/types.js';
export { MAX_FINDING_DETAIL_CHARS, scanReportsToAttachment } from './scan-attachment.js';
export {
  type CategoryScore,
  type CompletenessScore,
  type FieldTier,
  MAX_SCORED_COMPONENTS,
  RUBRIC,
  type RubricField,
  SCORE_CATEGORIES,
  SCORE_PROFILES,
  type ScoreCategory,
  type ScoredField,
  scoreCycloneDx,
  tierOf,
} from './score/index.js';
export { contentUuid, ML_BOM_SPECS, type MlBomFormat, type MlBomSpec, serializeModelBom } from './serialize.js';
export {
  cycloneDxToSpdx3,
  isSpdx3JsonLd,
  licenseExpression,
  MAX_SPDX_ERRORS,
  SPDX_CONTEXT,
  SPDX_VERSION,
  SPDX3_SCHEMA_PATH,
  type Spdx3ConvertOptions,
  type Spdx3ValidationResult,
  validateSpdx3,
} from './spdx/index.js';
export {
  assertJsonDepth,
  assertValidCycloneDx,
  assertValueDepth,
  type BomFormat,
  type BomValidationError,
  type BomValidationMethod,
  type BomValidationResult,
  type CycloneDxSpecVersion,
  detectBomFormat,
  detectXmlSpecVersion,
  isSupportedCycloneDxVersion,
  jsonNestingDepth,
  MAX_BOM_BYTES,
  MAX_BOM_NESTING_DEPTH,
  MAX_REPORTED_VALIDATION_ERRORS,
  readBomFile,
  SUPPORTED_CYCLONEDX_VERSIONS,
  type ValidateOptions,
  validateCycloneDx,
  valueNestingDepth,
} from './validate/index.js';
