/**
 * Limits on untrusted pickle input. Hitting one is a finding (MS-PKL-010), never a crash or a hang.
 */

/** Opcodes per pickle: real checkpoints use a few million; beyond this we stop and report (bounds CPU time). */
export const MAX_PICKLE_OPCODES = 50_000_000;
/** Memo entries: bounds memory of the symbolic memo (real pickles rarely exceed a few hundred thousand). */
export const MAX_MEMO_ENTRIES = 5_000_000;
/** Symbolic stack depth: bounds memory; benign pickles stay shallow (containers are built then popped). */
export const MAX_STACK_DEPTH = 1_000_000;
/**
 * Length of a text line argument (STRING, UNICODE, PERSID, and numbers) in protocol 0: bounds the string built from
 * it (a JS string cannot exceed ~512 MiB). A longer line is a limit finding. Numbers end earlier, at the first byte
 * no number can hold (the error CPython ends in).
 */
export const MAX_LINE_LENGTH = 64 * 1024 * 1024;
/**
 * Length of a GLOBAL/INST module or name line. Longer ones end the stream as CPython's import would: no module or
 * attribute has such a name (a module name component is a file name, at most 255 bytes on common file systems; a
 * dotted path of hundreds of them is still far below this), so find_class raises and nothing is imported.
 */
export const MAX_GLOBAL_NAME_BYTES = 64 * 1024;
/** Bytes of one counted string (BINUNICODE*, BINSTRING) decoded to text: a JS string cannot exceed ~512 MiB. */
export const MAX_STRING_BYTES = 256 * 1024 * 1024;
/** Pickles in one stream (legacy torch files stack 5); bounds a file made of many tiny pickles. */
export const MAX_PICKLES_PER_STREAM = 1_000;
/** Bytes of a pickle read into memory (a pickle member or a plain pickle file). Tensor data never is. */
export const MAX_PICKLE_BYTES = 1 << 30;
/** Nested pickles scanned from one pickle (each goes through the engine at depth + 1). */
export const MAX_NESTED_PER_PICKLE = 64;
/** Nesting depth guarded by the pickle scanner itself (the engine enforces its own limit too). */
export const MAX_PICKLE_NESTING = 8;
/** Findings of one rule kept per pickle: a million identical references would flood the report. */
export const MAX_FINDINGS_PER_RULE = 200;
/**
 * Items of a container (tuple, list, dict, set, an object's added items and BUILD states) remembered symbolically:
 * what the judge reads to resolve arguments (getattr operands, the function a partial or _rebuild_from_type calls,
 * the bytes a loader gets) and what the joblib hook reads (array shape, dtype). Items past it are still walked
 * (every global they import is an event of its own), only not tied to their container.
 */
export const MAX_TRACKED_ITEMS = 64;
