import type { FormatHandler } from '../types.js';

/** Handlers for pickle, pytorch-zip, pytorch-legacy, pytorch-tar, torchscript, numpy, numpy-npz, joblib. */
export const PICKLE_FAMILY_HANDLERS: readonly FormatHandler[] = [];
