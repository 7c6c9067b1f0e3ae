/**
 * Limits on the untrusted input of `modelsec deps`: OSV databases (a zip export or a directory of JSON), workflow
 * files and installed-package trees. Past a limit the audit stops with an error naming the file and the limit,
 * never a crash and never a silent "no findings".
 */

/**
 * Entries read from one OSV zip export. osv.dev's largest per-ecosystem export (npm, mostly malicious-package
 * records) holds a few hundred thousand; ten times PyPI's and npm's sizes leaves room to grow.
 */
export const MAX_OSV_ZIP_ENTRIES = 2_000_000;

/**
 * Largest single OSV record, compressed or not. Real records are a few KB; the largest (a package with thousands
 * of listed versions) stay under 2 MB. Bounds the memory one entry can take (a zip bomb entry is refused).
 */
export const MAX_OSV_RECORD_BYTES = 16 * 1024 * 1024;

/** Bytes read from an OSV zip at a time: entries are read in file order through one window of this size. */
export const OSV_READ_WINDOW_BYTES = 8 * 1024 * 1024;

/** Most JSON files read from one OSV directory (the directory form of an export; the same bound as the zip). */
export const MAX_OSV_DIRECTORY_FILES = MAX_OSV_ZIP_ENTRIES;

/** How deep below an OSV directory JSON records are looked for (osv.dev's GCS layout is flat; mirrors nest by id). */
export const MAX_OSV_DIRECTORY_DEPTH = 4;

/** Largest workflow file read (real workflows are a few KB; GitHub itself refuses files over 512 KB of YAML). */
export const MAX_WORKFLOW_BYTES = 1024 * 1024;

/** Most workflow files read from one workflows directory. */
export const MAX_WORKFLOW_FILES = 500;

/** Most YAML aliases resolved in one workflow (bounds billion-laughs expansion; real workflows use none). */
export const MAX_WORKFLOW_YAML_ALIASES = 100;

/** Most entries walked under one --site-packages directory (a large ML virtualenv has ~200,000 files). */
export const MAX_SITE_PACKAGES_ENTRIES = 1_000_000;

/** Largest `.pth` file read (real ones are one or a few lines). */
export const MAX_PTH_BYTES = 1024 * 1024;

/** Largest dist-info RECORD or METADATA file read (RECORD of the largest wheels is a few MB). */
export const MAX_DIST_INFO_FILE_BYTES = 32 * 1024 * 1024;

/** Exports with at least this many entries are read by worker threads (below it, starting them costs more). */
export const OSV_PARALLEL_MIN_ENTRIES = 20_000;

/** Most worker threads reading one export (bounded by the machine's parallelism; each holds one read window). */
export const OSV_MAX_WORKERS = 4;
