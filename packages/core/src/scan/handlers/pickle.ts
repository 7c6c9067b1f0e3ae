import type { ByteSource } from '../../formats/byte-source.js';
import type { FormatHandler, HandlerResult, ScanContext } from '../types.js';
import { readCapped, scanPickleBytes } from './pickle-support.js';

/** Plain pickle streams (protocols 0-5, several pickles in a row). */
export const pickleHandler: FormatHandler = {
  formats: ['pickle'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const findings: HandlerResult['findings'] = [];
    const bytes = await readCapped(source, findings, ctx.members);
    const result = await scanPickleBytes(bytes, ctx, ctx.members);
    return { findings: [...findings, ...result.findings], errors: result.errors };
  },
};

/** Legacy torch.save files: magic number, protocol, sys info, model and storage-key pickles, then raw storages. */
export const pytorchLegacyHandler: FormatHandler = {
  formats: ['pytorch-legacy'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const findings: HandlerResult['findings'] = [];
    const bytes = await readCapped(source, findings, ctx.members);
    const result = await scanPickleBytes(bytes, ctx, ctx.members, LEGACY_PICKLE_COUNT);
    return { findings: [...findings, ...result.findings], errors: result.errors };
  },
};

/** Pickles torch's legacy loader reads before the raw storage bytes. */
export const LEGACY_PICKLE_COUNT = 5;
