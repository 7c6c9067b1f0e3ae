import type { ByteSource } from '../../formats/byte-source.js';
import { MAX_PICKLE_BYTES } from '../pickle/limits.js';
import { runPickle } from '../pickle/vm.js';
import { isTarHeader } from '../tar-listing.js';
import type { FormatHandler, HandlerResult, ScanContext } from '../types.js';
import type { Collected } from './archives.js';
import { LEGACY_PICKLE_COUNT, readCapped, scanPickleBytes } from './pickle-support.js';

export { LEGACY_PICKLE_COUNT };

/**
 * torch.load of a file that is not a zip tries tarfile first: a pickle whose first block is also a tar header
 * tarfile accepts (a polyglot) is read as torch's legacy tar by torch.load. That reading is scanned too.
 */
async function alsoLegacyTar(source: ByteSource, ctx: ScanContext, out: Collected): Promise<void> {
  // The tar reading (and the archive code it uses) is loaded only for such a file.
  if (isTarHeader(await source.read(0, 512))) await (await import('./pytorch-tar.js')).scanLegacyTar(source, ctx, out);
}

/** Plain pickle streams (protocols 0-5, several pickles in a row). */
export const pickleHandler: FormatHandler = {
  formats: ['pickle'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const out: Collected = { findings: [], errors: [] };
    const bytes = await readCapped(source, out.findings, ctx.members);
    const result = await scanPickleBytes(bytes, ctx, ctx.members);
    out.findings.push(...result.findings);
    out.errors.push(...result.errors);
    await alsoLegacyTar(source, ctx, out);
    return out;
  },
};

/**
 * Legacy torch.save files, read as torch.serialization's `_legacy_load` reads a non-tar file: the magic number,
 * protocol, sys_info, the object and the storage keys, five pickles in a row (the first runs whatever it holds
 * before torch checks the magic), then raw storage bytes that are never unpickled.
 */
export const pytorchLegacyHandler: FormatHandler = {
  formats: ['pytorch-legacy'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const out: Collected = { findings: [], errors: [] };
    const bytes = await legacyPickles(source, out, ctx);
    const result = await scanPickleBytes(bytes, ctx, ctx.members, LEGACY_PICKLE_COUNT);
    out.findings.push(...result.findings);
    out.errors.push(...result.errors);
    await alsoLegacyTar(source, ctx, out);
    return out;
  },
};

/** First window read for the legacy pickles (they hold metadata; gigabytes of raw storages follow them). */
export const LEGACY_FIRST_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * The bytes holding the five legacy pickles: read in growing windows until they end (the raw storages after them
 * are never read), up to MAX_PICKLE_BYTES (past it: MS-PKL-010 through readCapped).
 */
async function legacyPickles(source: ByteSource, out: Collected, ctx: ScanContext): Promise<Uint8Array> {
  for (let window = LEGACY_FIRST_WINDOW_BYTES; window < Math.min(source.size, MAX_PICKLE_BYTES); window *= 4) {
    const bytes = await source.read(0, window);
    let offset = 0;
    let cut = false;
    for (let n = 0; n < LEGACY_PICKLE_COUNT && offset < bytes.length; n++) {
      const run = runPickle(bytes, offset);
      if (run.error) {
        cut = run.end >= bytes.length - 1 || /truncated|without STOP|runs past/.test(run.error.message);
        break;
      }
      offset = run.end;
    }
    if (!cut) return bytes;
  }
  return readCapped(source, out.findings, ctx.members);
}
