/** Limits on untrusted zip input. Hitting one is reported by the caller as a finding, never a crash. */

/** Entries read from one archive: PyTorch checkpoints have one per tensor storage (thousands, not millions). */
export const MAX_ZIP_ENTRIES = 200_000;
/** Bytes of central directory read into memory (~46 bytes + name per entry). */
export const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
/** Bytes searched for local headers the central directory does not list (gaps between entries, or a whole
 * archive without a central directory). Bounds the cost on multi-GB files. */
export const MAX_LOCAL_HEADER_SCAN_BYTES = 256 * 1024 * 1024;
/** Default cap on one member's decompressed size (zip bomb guard); callers pass their own for known members. */
export const DEFAULT_MAX_MEMBER_BYTES = 512 * 1024 * 1024;
/** Longest entry name accepted (the field is 16-bit anyway). */
export const MAX_ZIP_NAME_LENGTH = 65_535;
