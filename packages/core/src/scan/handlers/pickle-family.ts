import type { FormatHandler } from '../types.js';
import { joblibHandler } from './joblib.js';
import { npzHandler, numpyHandler } from './numpy.js';
import { pickleHandler, pytorchLegacyHandler } from './pickle.js';
import { pytorchTarHandler } from './pytorch-tar.js';
import { pytorchZipHandler } from './pytorch-zip.js';

/** Handlers for pickle, pytorch-zip, pytorch-legacy, pytorch-tar, torchscript, numpy, numpy-npz, joblib. */
export const PICKLE_FAMILY_HANDLERS: readonly FormatHandler[] = [
  pickleHandler,
  pytorchLegacyHandler,
  pytorchZipHandler,
  pytorchTarHandler,
  numpyHandler,
  npzHandler,
  joblibHandler,
];
