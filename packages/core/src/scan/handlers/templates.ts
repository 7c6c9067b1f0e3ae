/**
 * JSON documents and Jinja template files, judged for what their loaders do with them:
 * - the `chat_template` of any JSON document (tokenizer_config.json, chat_template.json, processor_config.json:
 *   a string, or a list of `{name, template}`) is a Jinja template transformers renders: judged by jinja-ssti.ts;
 * - a JSON document that is a serialised Keras object (`class_name` + `config` at its top, what
 *   `keras.models.model_from_json` and `.keras` archives read) is judged by the Keras config check;
 * - a Jupyter notebook (`cells` + `nbformat`) is code: handed to the code handler;
 * - a `.jinja` file (transformers' chat_template.jinja, additional_chat_templates/*.jinja) is a template.
 * Other JSON (configs, tokenizer.json, vocabularies, trainer_state.json) is data: clean. Strings holding `{{`
 * anywhere else are not templates and are never judged as such.
 */
import type { ByteSource } from '../../formats/byte-source.js';
import { JsonScanner, parsePythonJson } from '../../formats/structures/json-scan.js';
import { decodeText, isTextSource } from '../../formats/structures/text.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler, HandlerResult, ScanContext } from '../types.js';
import { isNotebook, scanNotebook } from './code.js';
import { judgeTemplate, MAX_TEMPLATE_CHARS } from './jinja-ssti.js';
import { scanKerasConfig } from './keras.js';

/**
 * Largest JSON document parsed in memory: tokenizer.json files reach ~35 MB. A larger document is checked by a
 * streaming reader; it is clean only when it holds none of the keys that would be judged.
 */
export const MAX_JSON_PARSE_BYTES = 64 * 1024 * 1024;
/** Nesting walked in a parsed document (the streaming checker refuses deeper documents the same way). */
export const MAX_JSON_DEPTH = 512;
/** Keys whose presence in a document too large to parse means it could not be judged. */
const JUDGED_KEYS = new Set(['chat_template', 'class_name', 'module', 'registered_name', 'cells']);
/** Bytes decoded per read by the streaming checker. */
const JSON_CHUNK_BYTES = 1024 * 1024;

function at(ctx: ScanContext, path?: string) {
  return { members: [...ctx.members], ...(path !== undefined ? { path } : {}) };
}

/** Judges one template (from a JSON field or a file): critical hits, or incomplete when it cannot be parsed. */
export function templateFindings(template: string, where: { members: string[]; path?: string }, ruleId: string): Finding[] {
  const verdict = judgeTemplate(template);
  const label = where.path ? `'${where.path}'` : 'the template';
  if (!verdict.ok)
    return [
      makeFinding('MS-TPL-002', `chat template ${label} could not be parsed as Jinja: ${verdict.reason}`, where, {
        reason: verdict.reason,
      }),
    ];
  if (verdict.hits.length === 0) return [];
  return [
    makeFinding(
      ruleId,
      `chat template ${label} reaches Python internals (${verdict.hits.map((h) => h.token).join(', ')})`,
      where,
      { indicators: verdict.hits.map((h) => `${h.token} (${h.how})`) },
    ),
  ];
}

/** The depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
function depthOf(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return max;
}

function isKerasObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.class_name === 'string' && typeof v.config === 'object' && v.config !== null;
}

/**
 * Findings for a document's `chat_template` value as transformers reads it: a string, or a list of
 * `{name, template}` entries (each judged); anything else but null is not a template it can use (incomplete).
 */
export function chatTemplateFindings(template: unknown, ctx: ScanContext): Finding[] {
  const findings: Finding[] = [];
  if (typeof template === 'string') findings.push(...templateFindings(template, at(ctx, 'chat_template'), 'MS-TPL-001'));
  else if (Array.isArray(template)) {
    template.forEach((entry, i) => {
      const t = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).template : undefined;
      const name = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).name : undefined;
      const path = `chat_template/${i}${typeof name === 'string' ? ` (${name})` : ''}`;
      if (typeof t === 'string') findings.push(...templateFindings(t, at(ctx, path), 'MS-TPL-001'));
      else
        findings.push(
          makeFinding('MS-TPL-002', `chat_template entry ${i} holds no template string`, at(ctx, path), { entry: i }),
        );
    });
  } else if (template !== undefined && template !== null)
    findings.push(
      makeFinding('MS-TPL-002', 'chat_template is neither a string nor a list of templates', at(ctx, 'chat_template')),
    );
  return findings;
}

/** Judges a parsed JSON document. */
export async function judgeJsonDocument(doc: unknown, ctx: ScanContext): Promise<HandlerResult> {
  const findings: Finding[] = [];
  if (depthOf(doc, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    findings.push(
      makeFinding('MS-ENG-002', `JSON nested deeper than MAX_JSON_DEPTH (${MAX_JSON_DEPTH}) was not judged`, at(ctx), {
        limit: 'MAX_JSON_DEPTH',
      }),
    );
    return { findings, errors: [] };
  }
  if (isNotebook(doc)) return scanNotebook(doc, ctx);
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
    findings.push(...chatTemplateFindings((doc as Record<string, unknown>).chat_template, ctx));
    if (isKerasObject(doc)) {
      // A Keras config read by model_from_json / deserialize: payloads it embeds (TorchModuleWrapper) are scanned too.
      const judged = await scanKerasConfig(doc, ctx.members, ctx);
      return { findings: [...findings, ...judged.findings], errors: judged.errors };
    }
  }
  return { findings, errors: [] };
}

/** JSON larger than MAX_JSON_PARSE_BYTES: streamed; clean only when it is JSON holding none of JUDGED_KEYS. */
async function streamLargeJson(source: ByteSource, ctx: ScanContext): Promise<HandlerResult | 'not-json'> {
  const scanner = new JsonScanner(JUDGED_KEYS);
  const decoder = new TextDecoder('utf-8');
  for (let pos = 0; pos < source.size; pos += JSON_CHUNK_BYTES) {
    if (!scanner.feed(decoder.decode(await source.read(pos, JSON_CHUNK_BYTES), { stream: true }))) break;
  }
  scanner.feed(decoder.decode());
  const result = scanner.result();
  if (!result.ok || !result.complete) {
    if (result.error?.includes('MAX_JSON_SCAN_DEPTH'))
      return {
        findings: [
          makeFinding('MS-ENG-002', `JSON nested deeper than MAX_JSON_SCAN_DEPTH was not judged`, at(ctx), {
            limit: 'MAX_JSON_SCAN_DEPTH',
          }),
        ],
        errors: [],
      };
    return 'not-json';
  }
  const keys = [...scanner.keysSeen].sort();
  if (keys.length === 0) return { findings: [], errors: [] };
  return {
    findings: [
      makeFinding(
        'MS-ENG-002',
        `JSON of ${source.size} bytes (above MAX_JSON_PARSE_BYTES) holds ${keys.join(', ')}, which were not judged`,
        at(ctx),
        { limit: 'MAX_JSON_PARSE_BYTES', keys },
      ),
    ],
    errors: [],
  };
}

/** A file detected as JSON whose whole content turned out not to be JSON: judged as text. */
async function asText(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
  if (await isTextSource(source)) return { findings: [], errors: [], format: 'text' };
  return {
    findings: [
      makeFinding('MS-ENG-001', 'opens as text but holds binary data: content was not inspected', at(ctx), {
        format: 'text',
      }),
    ],
    errors: [],
    format: 'unknown',
  };
}

export const jsonHandler: FormatHandler = {
  formats: ['json'],
  async scan(source, ctx) {
    if (source.size > MAX_JSON_PARSE_BYTES) {
      const streamed = await streamLargeJson(source, ctx);
      return streamed === 'not-json' ? asText(source, ctx) : streamed;
    }
    let doc: unknown;
    const text = decodeText(await source.read(0, source.size));
    try {
      doc = parsePythonJson(text);
    } catch {
      const scanner = new JsonScanner();
      scanner.feed(text);
      if (scanner.result().error?.includes('MAX_JSON_SCAN_DEPTH'))
        return {
          findings: [
            makeFinding('MS-ENG-002', 'JSON nested deeper than MAX_JSON_SCAN_DEPTH was not judged', at(ctx), {
              limit: 'MAX_JSON_SCAN_DEPTH',
            }),
          ],
          errors: [],
        };
      return asText(source, ctx);
    }
    const result = await judgeJsonDocument(doc, ctx);
    return isNotebook(doc) ? { ...result, format: 'notebook' } : result;
  },
};

/** `.jinja` files: the whole text is a template (transformers' chat_template.jinja). */
export const jinjaHandler: FormatHandler = {
  formats: ['jinja'],
  async scan(source, ctx) {
    if (source.size > 4 * MAX_TEMPLATE_CHARS)
      return {
        findings: [
          makeFinding('MS-TPL-002', `template of ${source.size} bytes is longer than MAX_TEMPLATE_CHARS`, at(ctx), {
            limit: 'MAX_TEMPLATE_CHARS',
          }),
        ],
        errors: [],
      };
    if (!(await isTextSource(source))) return asText(source, ctx);
    const text = decodeText(await source.read(0, source.size));
    return { findings: templateFindings(text, at(ctx), 'MS-TPL-001'), errors: [] };
  },
};
