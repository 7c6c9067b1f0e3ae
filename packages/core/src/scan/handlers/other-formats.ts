import type { FormatHandler } from '../types.js';
import { gzipHandler, uninspectableHandler, zipArchiveHandler } from './archives.js';
import { EXECUTABLE_HANDLERS, notebookHandler, pythonHandler, shellHandler } from './code.js';
import { DATA_FORMAT_HANDLERS } from './data-formats.js';
import { ggufHandler } from './gguf.js';
import { kerasHandler } from './keras.js';
import { kerasH5Handler } from './keras-h5.js';
import { onnxHandler } from './onnx.js';
import { tarArchiveHandler } from './pytorch-tar.js';
import { safetensorsHandler } from './safetensors.js';
import { jinjaHandler, jsonHandler } from './templates.js';
import { tfMetaGraphHandler, tfSavedModelHandler } from './tf-savedmodel.js';

/**
 * Handlers for model formats (safetensors, GGUF, ONNX, Keras, TF), generic archives, JSON and templates, code,
 * and the data formats of ordinary repositories; containers not inspected yet fail closed (MS-ENG-004).
 */
export const OTHER_FORMAT_HANDLERS: readonly FormatHandler[] = [
  safetensorsHandler,
  ggufHandler,
  onnxHandler,
  kerasHandler,
  kerasH5Handler,
  tfSavedModelHandler,
  tfMetaGraphHandler,
  zipArchiveHandler,
  tarArchiveHandler,
  gzipHandler,
  jsonHandler,
  jinjaHandler,
  pythonHandler,
  shellHandler,
  notebookHandler,
  ...EXECUTABLE_HANDLERS,
  ...DATA_FORMAT_HANDLERS,
  uninspectableHandler,
];
