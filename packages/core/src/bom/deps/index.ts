export { parseCondaEnvironmentText, parseCondaSpec } from './conda-env.js';
export {
  DEPENDENCY_FILE_KINDS,
  type DependencyFileKind,
  dependencyFileKind,
  findDependencyFiles,
  type ParseDependencyFileOptions,
  parseDependencyFile,
  parseDependencyText,
} from './files.js';
export {
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
} from './limits.js';
export { parsePackageLockText } from './package-lock.js';
export { condaPurl, normalizePypiName, npmPurl, pypiPurl } from './purl.js';
export { parsePyprojectText } from './pyproject.js';
export { parsePipfileLockText, parsePoetryLockText, parseUvLockText } from './python-locks.js';
export { parseRequirementsText } from './requirements.js';
export { DEPENDENCY_WARNING_CODES } from './warnings.js';
