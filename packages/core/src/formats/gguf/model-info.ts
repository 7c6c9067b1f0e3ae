/**
 * What a GGUF header says about the model as a whole, for inventories (the ML-BOM): parameter counts per tensor
 * type and the general.* / tokenizer facts llama.cpp reads. Works on a header from readGgufHeader.
 */
import { countParameters, type ParameterCounts } from '../parameter-counts.js';
import type { GgufHeader, GgufValue } from './index.js';
import { ggmlTypeName, llamaFileTypeName } from './names.js';

export interface GgufModelInfo {
  /** general.architecture (e.g. llama). */
  architecture?: string;
  /** `<architecture>.context_length` (llama.cpp reads it as an integer). */
  contextLength?: number | bigint;
  /** general.name. */
  name?: string;
  /** general.license. */
  license?: string;
  /** general.file_type as llama.cpp's quantisation name (e.g. Q4_K_M). */
  quantization?: string;
  /** tokenizer.ggml.model (e.g. llama, gpt2). */
  tokenizerModel?: string;
  /** tokenizer.chat_template. */
  chatTemplate?: string;
}

/**
 * True for the metadata keys ggufModelInfo reads; pass it as readGgufHeader's keepKey so vocabularies and other
 * large values are walked but not kept.
 */
export function isGgufModelInfoKey(key: string): boolean {
  return (
    key.startsWith('general.') ||
    key.endsWith('.context_length') ||
    key === 'tokenizer.ggml.model' ||
    key === 'tokenizer.chat_template'
  );
}

function own(metadata: Record<string, GgufValue>, key: string): GgufValue | undefined {
  return Object.hasOwn(metadata, key) ? metadata[key] : undefined;
}

function text(value: GgufValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function integer(value: GgufValue | undefined): number | bigint | undefined {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value)) ? value : undefined;
}

/** Model facts from GGUF metadata; values of the wrong type are left out, as llama.cpp would not use them. */
export function ggufModelInfo(metadata: Record<string, GgufValue>): GgufModelInfo {
  const info: GgufModelInfo = {};
  const architecture = text(own(metadata, 'general.architecture'));
  if (architecture !== undefined) {
    info.architecture = architecture;
    const contextLength = integer(own(metadata, `${architecture}.context_length`));
    if (contextLength !== undefined) info.contextLength = contextLength;
  }
  const name = text(own(metadata, 'general.name'));
  if (name !== undefined) info.name = name;
  const license = text(own(metadata, 'general.license'));
  if (license !== undefined) info.license = license;
  const fileType = integer(own(metadata, 'general.file_type'));
  if (fileType !== undefined) info.quantization = llamaFileTypeName(Number(fileType));
  const tokenizerModel = text(own(metadata, 'tokenizer.ggml.model'));
  if (tokenizerModel !== undefined) info.tokenizerModel = tokenizerModel;
  const chatTemplate = text(own(metadata, 'tokenizer.chat_template'));
  if (chatTemplate !== undefined) info.chatTemplate = chatTemplate;
  return info;
}

/** Elements in total and per ggml tensor type (the product of each tensor's dims). */
export function ggufParameterCounts(header: GgufHeader): ParameterCounts {
  return countParameters(
    header.tensors.map((t) => ({ dtype: ggmlTypeName(t.type), elements: t.dims.reduce((n, d) => n * d, 1n) })),
    'gguf',
  );
}
