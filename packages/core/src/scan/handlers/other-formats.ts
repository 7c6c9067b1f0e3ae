import type { FormatHandler } from '../types.js';

/** Handlers for safetensors, gguf, onnx, keras, keras-h5/hdf5, tf-savedmodel, and generic archives. */
export const OTHER_FORMAT_HANDLERS: readonly FormatHandler[] = [];
