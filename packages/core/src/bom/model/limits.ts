/**
 * Limits on untrusted model inputs read by the ML-BOM builder. Each bounds memory or time spent on a file an
 * attacker may have shaped; past a limit the builder warns (naming the file) and leaves that fact out.
 */

/** Files listed in one model (directory or Hub repo): real repos have tens to a few thousand files. */
export const MAX_BOM_MODEL_FILES = 20_000;
/** Directory depth walked below the model root: HF repos nest a few levels at most. */
export const MAX_BOM_MODEL_DIR_DEPTH = 16;
/** Size of a card, config or tokenizer config read into memory: real ones are KBs to a few MB. */
export const MAX_METADATA_FILE_BYTES = 16 * 1024 * 1024;
/** Largest safetensors header accepted: the safetensors format itself refuses headers over 100 MB. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100 * 1024 * 1024;
/** Tensors described in one header (safetensors, GGUF): large LLM shards hold a few thousand. */
export const MAX_TENSORS_PER_FILE = 1_000_000;
/** GGUF metadata key/value pairs: real files have tens to a few hundred. */
export const MAX_GGUF_KV_COUNT = 100_000;
/** Bytes of GGUF metadata walked (a 256k-token vocabulary is a few MB): bounds reads of a hostile header. */
export const MAX_GGUF_METADATA_BYTES = 64 * 1024 * 1024;
/** One GGUF string (a chat template, a token): real ones are KBs. */
export const MAX_GGUF_STRING_BYTES = 16 * 1024 * 1024;
/** Chat template kept in a BOM property: long enough for real templates, bounded for the BOM's size. */
export const MAX_CHAT_TEMPLATE_CHARS = 64 * 1024;
/** Card section text kept per consideration entry. */
export const MAX_CARD_SECTION_CHARS = 4_000;
/** Zip central directory entries listed for a PyTorch checkpoint. */
export const MAX_BOM_ZIP_ENTRIES = 100_000;
/** Bytes of zip central directory read: bounds a hostile size field. */
export const MAX_BOM_ZIP_DIRECTORY_BYTES = 64 * 1024 * 1024;
/** Top-level ONNX ModelProto fields walked before giving up (the graph field is skipped, never read). */
export const MAX_ONNX_TOP_LEVEL_FIELDS = 10_000;
/** Hyperparameters taken from config.json: scalars only, bounded so a hostile config cannot bloat the BOM. */
export const MAX_HYPERPARAMETERS = 200;
/** data.pkl of a PyTorch checkpoint read for the tensor summary: real ones are KBs to a few MB. */
export const MAX_PYTORCH_PICKLE_BYTES = 64 * 1024 * 1024;
