/**
 * GGUF: every chat template in the metadata (`tokenizer.chat_template` and the named `tokenizer.chat_template.*`)
 * is a Jinja template llama.cpp, llama-cpp-python, Ollama and vLLM render: judged by jinja-ssti.ts on a real parse
 * (MS-GGUF-001 critical; a template that cannot be parsed is MS-TPL-002, incomplete). Only those keys are kept in
 * memory; every other value is still walked and checked by the reader. Counts over the reader's limits
 * (MAX_GGUF_METADATA_ENTRIES...) end in LIMIT_EXCEEDED, which the engine reports as incomplete.
 */

import { toModelsecError } from '../../errors/index.js';
import { type GgufValue, readGgufHeader } from '../../formats/gguf/index.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler } from '../types.js';
import { templateFindings } from './templates.js';

/**
 * Metadata keys holding chat templates, compared as llama.cpp and its bindings see a key: a C string, ending at
 * its first NUL (llama.cpp fills its `gguf_kv` map from `const char *` names; llama-cpp-python reads keys
 * through a ctypes string buffer's `.value`), so `tokenizer.chat_template\0...` is the chat template to them.
 */
export function isTemplateKey(key: string): boolean {
  const name = key.split('\0', 1)[0] as string;
  return name === 'tokenizer.chat_template' || name.startsWith('tokenizer.chat_template.');
}

function stringsOf(key: string, value: GgufValue, out: Array<[string, string]>): void {
  if (typeof value === 'string') out.push([key, value]);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) if (typeof v === 'string') out.push([`${key}[${i}]`, v]);
}

export const ggufHandler: FormatHandler = {
  formats: ['gguf'],
  async scan(source, ctx) {
    // Templates are collected as the reader meets them: one read before a truncation, a repeated key or a limit
    // is still judged (llama.cpp refuses such a file, but a consumer that reads the metadata as a stream, or the
    // complete file it was cut from, renders the template), and the failure is reported beside it (incomplete).
    const kept: Record<string, GgufValue> = Object.create(null) as Record<string, GgufValue>;
    let failure: unknown;
    try {
      await readGgufHeader(source, {
        keepKey: isTemplateKey,
        onKept: (key, value) => {
          kept[key] = value;
        },
      });
    } catch (error) {
      failure = error;
    }
    const findings: Finding[] = [];
    const strings: Array<[string, string]> = [];
    for (const key of Object.keys(kept).sort()) stringsOf(key, kept[key] as GgufValue, strings);
    for (const [key, value] of strings) {
      findings.push(...templateFindings(value, { members: [...ctx.members], path: key }, 'MS-GGUF-001'));
    }
    if (failure === undefined) return { findings, errors: [] };
    const err = toModelsecError(failure);
    const location = { members: [...ctx.members] };
    findings.push(makeFinding('MS-ENG-002', `could not be parsed: ${err.message}`, location, { code: err.code }));
    return { findings, errors: [{ code: err.code, message: err.message, location }] };
  },
};
