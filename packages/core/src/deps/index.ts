export {
  auditDeclaredPackages,
  auditDependencies,
  compareFindings,
  type DepsAuditOptions,
  type PackageAuditOptions,
} from './audit.js';
export { depsFindingsToAttachment } from './bom-attachment.js';
export { collectDependencyFiles, type DependencyFileContext, displayPath, lineOf } from './collect.js';
export { confusionFindings, KNOWN_CONFUSION_NAMES, knownConfusionFindings, PUBLIC_CONDA_CHANNELS } from './confusion.js';
export { type DepsGateResult, evaluateDepsGate } from './gate.js';
export {
  MAX_DIST_INFO_FILE_BYTES,
  MAX_OSV_DIRECTORY_DEPTH,
  MAX_OSV_DIRECTORY_FILES,
  MAX_OSV_RECORD_BYTES,
  MAX_OSV_ZIP_ENTRIES,
  MAX_PTH_BYTES,
  MAX_SITE_PACKAGES_ENTRIES,
  MAX_WORKFLOW_BYTES,
  MAX_WORKFLOW_FILES,
  MAX_WORKFLOW_YAML_ALIASES,
  OSV_MAX_WORKERS,
  OSV_PARALLEL_MIN_ENTRIES,
  OSV_READ_WINDOW_BYTES,
} from './limits.js';
export { type MatchResult, matchPackages } from './match.js';
export { normalizeName, osvEcosystem, packageKey } from './names.js';
export { type LoadOsvOptions, loadOsv, OsvIndex, type OsvProgress, type OsvSourceSummary } from './osv-load.js';
export { asOsvRecord, osvRecordProblem } from './osv-record.js';
export type { OsvAffected, OsvEcosystem, OsvEvent, OsvRange, OsvRecord, OsvSeverity } from './osv-types.js';
export { originOf, pinningFindings } from './pinning.js';
export { DEPS_RULES } from './rules.js';
export { depsToSarif } from './sarif.js';
export { cvss3BaseScore, isMalicious, type RecordRating, rateRecord, severityOfScore } from './severity.js';
export { auditSitePackages, PACKAGE_DATA_EXTENSIONS, type SitePackagesResult } from './site-packages.js';
export type { AuditedFile, DepsFinding, DepsReport, DepsSummary, FindingPackage, FindingRecord } from './types.js';
export { LEGITIMATE_NEIGHBOURS, POPULAR_ML_PACKAGES, squatOf, typosquatFindings, withinOneEdit } from './typosquat.js';
export {
  affectedCovers,
  evaluateRange,
  isValidVersion,
  orderFor,
  type RangeOutcome,
  sameVersion,
  type VersionOrder,
} from './versions.js';
export { actionPin, auditWorkflows, auditWorkflowText, FIRST_PARTY_ACTION_OWNERS, findWorkflowFiles } from './workflows.js';
