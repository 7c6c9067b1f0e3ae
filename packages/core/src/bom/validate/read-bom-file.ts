import { readFile, stat } from 'node:fs/promises';
import { ModelsecError, toModelsecError } from '../../errors/index.js';
import { MAX_BOM_BYTES } from './limits.js';

/**
 * Reads a BOM file as UTF-8 text, refusing anything that is not a regular file or is over MAX_BOM_BYTES before
 * reading it. File-system errors become FILE_NOT_FOUND / FILE_UNREADABLE naming the path.
 */
export async function readBomFile(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      throw new ModelsecError('FILE_UNREADABLE', `${path} is not a regular file`, { details: { path } });
    }
    if (info.size > MAX_BOM_BYTES) {
      throw new ModelsecError('LIMIT_EXCEEDED', `${path} is ${info.size} bytes, over the ${MAX_BOM_BYTES}-byte BOM limit`, {
        details: { path, limit: 'MAX_BOM_BYTES', value: info.size, max: MAX_BOM_BYTES },
      });
    }
    return await readFile(path, 'utf8');
  } catch (error) {
    throw toModelsecError(error);
  }
}
