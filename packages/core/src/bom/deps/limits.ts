/**
 * Limits on untrusted lockfiles and manifests. A model directory downloaded from anywhere may carry a lockfile
 * crafted to exhaust memory or time; past a limit the parser stops with a warning naming the file, never a crash.
 */

/**
 * Largest dependency file read. The package-lock.json of a very large monorepo is a few tens of MB; model repos
 * carry small ones. 32 MiB bounds the memory of the JSON/TOML/YAML parsers (which build full trees).
 */
export const MAX_DEPENDENCY_FILE_BYTES = 32 * 1024 * 1024;

/** Most packages taken from one file: ten times the largest real lockfiles seen (~5,000 packages). */
export const MAX_DEPENDENCY_ENTRIES = 50_000;

/** How deep `-r other.txt` includes may nest in requirements files (pip itself has no limit; cycles are refused). */
export const MAX_REQUIREMENTS_INCLUDE_DEPTH = 8;

/** Longest single logical line in a requirements file (after joining continuations): bounds regex work. */
export const MAX_REQUIREMENT_LINE_CHARS = 64 * 1024;

/** Longest package name accepted (npm's own limit is 214; PyPI names are far shorter). */
export const MAX_PACKAGE_NAME_CHARS = 214;

/** Longest version or version range accepted. */
export const MAX_VERSION_CHARS = 256;

/** Most hashes kept per package (a poetry/uv lock lists one per wheel; big packages have ~60 wheels). */
export const MAX_HASHES_PER_PACKAGE = 256;

/** Most dependency files findDependencyFiles returns for one directory. */
export const MAX_DEPENDENCY_FILES_FOUND = 64;

/** How deep below the model directory findDependencyFiles looks (0 = only the directory itself). */
export const MAX_DEPENDENCY_SEARCH_DEPTH = 2;

/** Most directory entries findDependencyFiles reads in total before stopping (a hostile tree may be huge). */
export const MAX_DEPENDENCY_SEARCH_ENTRIES = 20_000;

/** Most warnings kept per file: a garbage file would otherwise yield one per line; the rest are counted. */
export const MAX_WARNINGS_PER_FILE = 50;
