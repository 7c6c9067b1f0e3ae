/**
 * Limits on untrusted pickle input. Hitting one is a finding (MS-PKL-010), never a crash or a hang.
 */

/** Opcodes per pickle: real checkpoints use a few million; beyond this we stop and report (bounds CPU time). */
export const MAX_PICKLE_OPCODES = 50_000_000;
/** Memo entries: bounds memory of the symbolic memo (real pickles rarely exceed a few hundred thousand). */
export const MAX_MEMO_ENTRIES = 5_000_000;
/** Symbolic stack depth: bounds memory; benign pickles stay shallow (containers are built then popped). */
export const MAX_STACK_DEPTH = 1_000_000;
/** Length of a text line argument (GLOBAL, INT, STRING in protocol 0): bounds scans for a newline. */
export const MAX_LINE_LENGTH = 1 << 20;
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
/** Items of a container remembered symbolically (only for argument inspection). */
export const MAX_TRACKED_ITEMS = 64;
