import type { RuleSpec } from './types.js';

/** Rules of the other formats and of the engine (safetensors, GGUF, ONNX, Keras, archives, limits). */
export const FORMAT_RULES: readonly RuleSpec[] = [];
