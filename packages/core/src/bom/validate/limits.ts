/**
 * A BOM larger than this is refused before parsing: ML-BOMs of even very large models (thousands of files,
 * thousands of dependencies) are a few MB; 128 MiB leaves room for huge SBOMs while bounding the memory that ajv
 * and libxml2 (which build full in-memory trees) can be made to use.
 */
export const MAX_BOM_BYTES = 128 * 1024 * 1024;

/** At most this many schema errors are reported: past that the list helps nobody and costs memory. */
export const MAX_REPORTED_VALIDATION_ERRORS = 200;
