import type { DetectedFormat, FormatHandler } from '../types.js';
import { OTHER_FORMAT_HANDLERS } from './other-formats.js';
import { PICKLE_FAMILY_HANDLERS } from './pickle-family.js';

/** Every format handler the engine dispatches to. */
export const HANDLERS: readonly FormatHandler[] = [...PICKLE_FAMILY_HANDLERS, ...OTHER_FORMAT_HANDLERS];

export function handlerFor(format: DetectedFormat): FormatHandler | undefined {
  return HANDLERS.find((handler) => handler.formats.includes(format));
}
