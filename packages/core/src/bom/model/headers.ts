/**
 * Weight summaries for the ML-BOM: what a weights file's header says (tensor and parameter counts, dtypes, format
 * facts), read without loading tensors. The parsing is the scanner's (formats/), so the BOM accepts and refuses
 * headers exactly as the scanner does; this module only picks and names the facts.
 */

import { decompressBounded } from '../../compression/index.js';
import { ModelsecError } from '../../errors/index.js';
import type { ByteSource } from '../../formats/byte-source.js';
import * as gguf from '../../formats/gguf/index.js';
import * as onnx from '../../formats/onnx/index.js';
import * as safetensors from '../../formats/safetensors/index.js';
import { readZipEntries, readZipEntry, ZipFormatError, ZipLimitError, type ZipListing } from '../../formats/zip/index.js';
import { MAX_ZIP_ENTRIES } from '../../formats/zip/limits.js';
import { runPickle } from '../../scan/pickle/index.js';
import { MAX_CHAT_TEMPLATE_CHARS, MAX_PYTORCH_PICKLE_BYTES } from './limits.js';
import type { WeightFormat, WeightSummary } from './types.js';

/**
 * A weights file whose header is malformed, lies or passes a limit: FORMAT_INVALID or LIMIT_EXCEEDED (the code
 * of the parser's error), naming the file in its message and details. The BOM builder turns it into a warning.
 */
export class HeaderError extends ModelsecError {
  /** Why the header is not usable, without the file name. */
  readonly reason: string;

  constructor(file: string, format: WeightFormat, cause: unknown) {
    const raw = cause instanceof Error ? cause.message : String(cause);
    const reason = raw.startsWith(`${format}: `) ? raw.slice(format.length + 2) : raw;
    const limit = cause instanceof ZipLimitError || (cause instanceof ModelsecError && cause.code === 'LIMIT_EXCEEDED');
    super(limit ? 'LIMIT_EXCEEDED' : 'FORMAT_INVALID', `${file}: ${format} header not usable (${reason})`, {
      cause,
      details: { ...(cause instanceof ModelsecError ? cause.details : {}), file, format },
    });
    this.name = 'HeaderError';
    this.reason = reason;
  }
}

/** Errors that mean the bytes are not a usable header (as opposed to I/O or network failures, which propagate). */
function isBadHeader(error: unknown): boolean {
  return (
    (error instanceof ModelsecError && (error.code === 'FORMAT_INVALID' || error.code === 'LIMIT_EXCEEDED')) ||
    error instanceof ZipFormatError ||
    error instanceof ZipLimitError ||
    error instanceof RangeError
  );
}

async function summarise(file: string, format: WeightFormat, read: () => Promise<WeightSummary>): Promise<WeightSummary> {
  try {
    return await read();
  } catch (error) {
    if (isBadHeader(error)) throw new HeaderError(file, format, error);
    throw error;
  }
}

/** Which header reader applies to a file name, or undefined for non-weight files. */
export function weightFormatOf(fileName: string): WeightFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (lower.endsWith('.gguf')) return 'gguf';
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.pt') || lower.endsWith('.pth') || lower.endsWith('.bin') || lower.endsWith('.ckpt')) return 'pytorch';
  return undefined;
}

/**
 * safetensors integrity problems that make the counts wrong (the header lies about its tensors). Gaps and
 * trailing bytes leave every tensor's count right, so the summary is still given.
 */
const SAFETENSORS_LIES: ReadonlySet<safetensors.SafetensorsProblemKind> = new Set([
  'unknown-dtype',
  'size-mismatch',
  'offsets-reversed',
  'offsets-past-eof',
  'overlap',
]);

/**
 * Reads a safetensors header: tensor count, parameter count and elements per dtype. Throws HeaderError when the
 * header is malformed or lies (offsets outside the file, sizes that do not match the shape, unknown dtypes,
 * overlapping data).
 */
export function readSafetensorsHeader(source: ByteSource, file: string): Promise<WeightSummary> {
  return summarise(file, 'safetensors', async () => {
    const header = await safetensors.readSafetensorsHeader(source);
    const lie = safetensors.validateSafetensors(header).find((p) => SAFETENSORS_LIES.has(p.kind));
    if (lie) {
      throw new ModelsecError('FORMAT_INVALID', lie.message, {
        details: { problem: lie.kind, ...(lie.tensor === undefined ? {} : { tensor: lie.tensor }) },
      });
    }
    const { parameterCount, dtypes } = safetensors.safetensorsParameterCounts(header);
    const facts: Record<string, string> = {};
    const format = Object.hasOwn(header.metadata, 'format') ? header.metadata.format : undefined;
    if (format !== undefined) facts.format = format.slice(0, 64);
    return { file, format: 'safetensors', parameterCount, tensorCount: header.tensors.length, dtypes, facts };
  });
}

/** Reads GGUF metadata and tensor infos: architecture, quantisation, context length, chat template, parameters. */
export function readGgufHeader(source: ByteSource, file: string): Promise<WeightSummary> {
  return summarise(file, 'gguf', async () => {
    const header = await gguf.readGgufHeader(source, { keepKey: gguf.isGgufModelInfoKey });
    const { parameterCount, dtypes } = gguf.ggufParameterCounts(header);
    const info = gguf.ggufModelInfo(header.metadata);
    const facts: Record<string, string> = { 'gguf:version': String(header.version) };
    if (info.architecture !== undefined) facts.architecture = info.architecture;
    if (info.contextLength !== undefined) facts.contextLength = String(info.contextLength);
    if (info.name !== undefined) facts.name = info.name.slice(0, 256);
    if (info.quantization !== undefined) facts.quantization = info.quantization;
    if (info.tokenizerModel !== undefined) facts.tokenizer = info.tokenizerModel.slice(0, 64);
    if (info.license !== undefined) facts.license = info.license.slice(0, 128);
    const summary: WeightSummary = { file, format: 'gguf', parameterCount, tensorCount: header.tensors.length, dtypes, facts };
    if (info.chatTemplate !== undefined) summary.chatTemplate = info.chatTemplate.slice(0, MAX_CHAT_TEMPLATE_CHARS);
    return summary;
  });
}

/**
 * Reads the model-level fields of an ONNX ModelProto: ir_version, producer, domain, opset imports. The graph
 * (holding the weights) is skipped by length, never read.
 */
export function readOnnxHeader(source: ByteSource, file: string): Promise<WeightSummary> {
  return summarise(file, 'onnx', async () => {
    const header = await onnx.readOnnxHeader(source);
    const facts: Record<string, string> = {};
    if (header.irVersion !== undefined) facts.irVersion = String(header.irVersion);
    if (header.producerName !== undefined) facts.producerName = header.producerName;
    if (header.producerVersion !== undefined) facts.producerVersion = header.producerVersion;
    if (header.domain !== undefined) facts.domain = header.domain;
    const opsets = header.opsetImports.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`);
    const defaultOpset = opsets.find((o) => o.startsWith('ai.onnx:'));
    if (defaultOpset) facts.opset = defaultOpset.slice('ai.onnx:'.length);
    if (opsets.length > 0) facts.opsetImports = opsets.sort().join(',');
    return { file, format: 'onnx', facts };
  });
}

/**
 * Lists a PyTorch zip checkpoint's members from the central directory (the entries PyTorch's loader sees): the
 * pickle members and the number of tensor storage records, plus the tensor summary of data.pkl.
 */
export function readPytorchZipHeader(source: ByteSource, file: string): Promise<WeightSummary> {
  return summarise(file, 'pytorch', async () => {
    let listing: ZipListing;
    try {
      listing = await readZipEntries(source, { requireCentralDirectory: true });
    } catch (error) {
      if (!(error instanceof ZipFormatError)) throw error;
      throw new ZipFormatError(`${error.message}; legacy pickle checkpoints are not summarised`);
    }
    if (listing.anomalies.some((a) => a.kind === 'entry-limit'))
      throw new ZipLimitError(`more than MAX_ZIP_ENTRIES (${MAX_ZIP_ENTRIES}) zip entries`);
    const names = listing.entries.filter((e) => e.foundBy === 'central').map((e) => e.name);
    const pickles = names.filter((n) => n.endsWith('.pkl')).sort();
    const storages = names.filter((n) => /\/data\/\d+$/.test(n)).length;
    const facts: Record<string, string> = {
      'pytorch:members': String(names.length),
      'pytorch:storages': String(storages),
    };
    if (pickles.length > 0) facts['pytorch:pickles'] = pickles.slice(0, 16).join(',');
    const summary = await pytorchTensorSummary(source, listing);
    if (summary) {
      facts['pytorch:tensors'] = String(summary.tensors);
      if (summary.storageTypes.length > 0) facts['pytorch:storage_dtypes'] = summary.storageTypes.join(',');
    }
    return { file, format: 'pytorch', facts };
  });
}

/** torch storage classes by the dtype name used elsewhere in the BOM (safetensors names). */
const TORCH_STORAGE_DTYPES: Readonly<Record<string, string>> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/**
 * Tensor count and storage dtypes of a PyTorch zip checkpoint, from its data.pkl run through the symbolic pickle
 * VM (never executed): each `_rebuild_tensor*` call is a tensor, each `torch.*Storage` global a dtype. Undefined
 * when there is no data.pkl or it cannot be read (the scanner reports why).
 */
async function pytorchTensorSummary(
  source: ByteSource,
  listing: ZipListing,
): Promise<{ tensors: number; storageTypes: string[] } | undefined> {
  try {
    const entry = listing.entries.find((e) => /(^|\/)data\.pkl$/.test(e.name));
    if (!entry) return undefined;
    const { bytes } = await readZipEntry(source, entry, { maxBytes: MAX_PYTORCH_PICKLE_BYTES, decompress: decompressBounded });
    const run = runPickle(bytes);
    let tensors = 0;
    const types = new Set<string>();
    for (const event of run.events) {
      if (event.type === 'global' && (event.module === 'torch' || event.module === 'torch.storage')) {
        const dtype = Object.hasOwn(TORCH_STORAGE_DTYPES, event.name) ? TORCH_STORAGE_DTYPES[event.name] : undefined;
        if (dtype) types.add(dtype);
      }
      if (
        event.type === 'call' &&
        event.callee.kind === 'global' &&
        event.callee.module === 'torch._utils' &&
        /^_rebuild_tensor/.test(event.callee.name)
      ) {
        tensors++;
      }
    }
    return { tensors, storageTypes: [...types].sort() };
  } catch (error) {
    if (error instanceof ZipFormatError || error instanceof ZipLimitError) return undefined;
    throw error;
  }
}

/** Reads the header of a weights file of the given format. Throws HeaderError when the header is malformed or lies. */
export function readWeightHeader(format: WeightFormat, source: ByteSource, file: string): Promise<WeightSummary> {
  switch (format) {
    case 'safetensors':
      return readSafetensorsHeader(source, file);
    case 'gguf':
      return readGgufHeader(source, file);
    case 'onnx':
      return readOnnxHeader(source, file);
    case 'pytorch':
      return readPytorchZipHeader(source, file);
  }
}
