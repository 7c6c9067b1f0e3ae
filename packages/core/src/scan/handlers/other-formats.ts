import type { FormatHandler } from '../types.js';
import { gzipHandler, tarArchiveHandler, textHandler, uninspectableHandler, zipArchiveHandler } from './archives.js';
import { ggufHandler } from './gguf.js';
import { kerasHandler } from './keras.js';
import { kerasH5Handler } from './keras-h5.js';
import { onnxHandler } from './onnx.js';
import { safetensorsHandler } from './safetensors.js';
import { tfSavedModelHandler } from './tf-savedmodel.js';

/** Handlers for safetensors, gguf, generic archives, text; formats not inspected yet fail closed (MS-ENG-004). */
export const OTHER_FORMAT_HANDLERS: readonly FormatHandler[] = [
  safetensorsHandler,
  ggufHandler,
  onnxHandler,
  kerasHandler,
  kerasH5Handler,
  tfSavedModelHandler,
  zipArchiveHandler,
  tarArchiveHandler,
  gzipHandler,
  textHandler,
  uninspectableHandler,
];
