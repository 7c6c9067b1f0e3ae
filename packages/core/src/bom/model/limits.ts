/**
 * Limits on untrusted model inputs read by the ML-BOM builder. Each bounds memory or time spent on a file an
 * attacker may have shaped; past a limit the builder warns (naming the file) and leaves that fact out. Weight
 * headers are parsed by formats/ under its own limits (formats/safetensors, gguf, onnx, zip).
 */

/** Files listed in one model (directory or Hub repo): real repos have tens to a few thousand files. */
export const MAX_BOM_MODEL_FILES = 20_000;
/** Directory depth walked below the model root: HF repos nest a few levels at most. */
export const MAX_BOM_MODEL_DIR_DEPTH = 16;
/** Size of a card, config or tokenizer config read into memory: real ones are KBs to a few MB. */
export const MAX_METADATA_FILE_BYTES = 16 * 1024 * 1024;
/** Chat template kept in a BOM property: long enough for real templates, bounded for the BOM's size. */
export const MAX_CHAT_TEMPLATE_CHARS = 64 * 1024;
/** Card section text kept per consideration entry. */
export const MAX_CARD_SECTION_CHARS = 4_000;
/** Hyperparameters taken from config.json: scalars only, bounded so a hostile config cannot bloat the BOM. */
export const MAX_HYPERPARAMETERS = 200;
/** data.pkl of a PyTorch checkpoint read for the tensor summary: real ones are KBs to a few MB. */
export const MAX_PYTORCH_PICKLE_BYTES = 64 * 1024 * 1024;
