import { type GgufValue, readGgufHeader } from '../../formats/gguf/index.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler } from '../types.js';
import { findSstiPatterns, looksLikeJinja } from './jinja-ssti.js';

function stringsOf(key: string, value: GgufValue, out: Array<[string, string]>): void {
  if (typeof value === 'string') out.push([key, value]);
  else if (Array.isArray(value) && key.includes('template')) {
    for (const [i, v] of value.entries()) stringsOf(`${key}[${i}]`, v, out);
  }
}

/** GGUF: every Jinja-template-valued metadata key (tokenizer.chat_template and named templates) checked for SSTI. */
export const ggufHandler: FormatHandler = {
  formats: ['gguf'],
  async scan(source, ctx) {
    const header = await readGgufHeader(source);
    const findings: Finding[] = [];
    const strings: Array<[string, string]> = [];
    for (const key of Object.keys(header.metadata).sort()) stringsOf(key, header.metadata[key] as GgufValue, strings);
    for (const [key, value] of strings) {
      if (!key.includes('template') && !looksLikeJinja(value)) continue;
      const hits = findSstiPatterns(value);
      if (hits.length === 0) continue;
      findings.push(
        makeFinding(
          'MS-GGUF-001',
          `Jinja template in '${key}' reaches Python internals (${hits.map((h) => h.token).join(', ')})`,
          { members: [...ctx.members], path: key },
          { key, indicators: hits.map((h) => `${h.token} (${h.how})`) },
        ),
      );
    }
    return { findings, errors: [] };
  },
};
