import { parse as parseYaml } from 'yaml';
import { MAX_CARD_SECTION_CHARS } from './limits.js';
import type { BomWarning } from './types.js';

/** A Hugging Face model card: YAML front matter plus markdown sections by heading. */
export interface ModelCard {
  /** The front matter as an object (empty when absent or malformed). */
  data: Record<string, unknown>;
  /** Section text by lowercased heading, in document order. */
  sections: Array<{ heading: string; text: string }>;
  /** First paragraph of the body that is not a heading: a description. */
  description?: string;
}

const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

function firstParagraph(body: string): string | undefined {
  for (const block of body.split(/\r?\n\s*\r?\n/)) {
    const text = block.trim();
    if (!text || text.startsWith('#') || text.startsWith('<') || text.startsWith('|') || text.startsWith('```')) continue;
    return text.replace(/\s+/g, ' ').slice(0, MAX_CARD_SECTION_CHARS);
  }
  return undefined;
}

/** Parses a card. Malformed front matter gives a warning naming the file and an empty `data`, never a throw. */
export function parseModelCard(text: string, file: string, warnings: BomWarning[]): ModelCard {
  let data: Record<string, unknown> = {};
  let body = text;
  const match = FRONT_MATTER.exec(text);
  if (match) {
    body = text.slice(match[0].length);
    try {
      const parsed: unknown = parseYaml(match[1]!, { maxAliasCount: 100, uniqueKeys: false });
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
      else if (parsed !== null && parsed !== undefined)
        warnings.push({
          code: 'CARD_FRONT_MATTER_INVALID',
          file,
          message: `${file}: front matter is not a YAML mapping; card metadata ignored`,
        });
    } catch (error) {
      const reason = (error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)).replace(/:\s*$/, '');
      warnings.push({
        code: 'CARD_FRONT_MATTER_INVALID',
        file,
        message: `${file}: malformed YAML front matter (${reason}); card metadata ignored`,
      });
    }
  }
  const sections: ModelCard['sections'] = [];
  let current: { heading: string; lines: string[] } | undefined;
  let inFence = false;
  for (const line of body.split(/\r?\n/)) {
    if (line.trimStart().startsWith('```')) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      if (current) sections.push({ heading: current.heading, text: current.lines.join('\n').trim() });
      current = { heading: heading[1]!.toLowerCase(), lines: [] };
    } else current?.lines.push(line);
  }
  if (current) sections.push({ heading: current.heading, text: current.lines.join('\n').trim() });
  const description = firstParagraph(body);
  return description === undefined ? { data, sections } : { data, sections, description };
}

/** Splits a section into entries: markdown list items when it has them, else its paragraphs. */
export function sectionEntries(text: string): string[] {
  const items = text
    .split(/\r?\n/)
    .filter((l) => /^\s*(?:[-*+]|\d+\.)\s+/.test(l))
    .map((l) => l.replace(/^\s*(?:[-*+]|\d+\.)\s+/, '').trim());
  const entries = items.length > 0 ? items : text.split(/\r?\n\s*\r?\n/).map((p) => p.replace(/\s+/g, ' ').trim());
  return entries.filter((e) => e.length > 0).map((e) => e.slice(0, MAX_CARD_SECTION_CHARS));
}

/** The entries of the first section whose heading matches. */
export function findSection(card: ModelCard, pattern: RegExp): string[] {
  const section = card.sections.find((s) => pattern.test(s.heading) && s.text.length > 0);
  return section ? sectionEntries(section.text) : [];
}

/** A front-matter value as a list of strings (a string or a list of strings). */
export function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [value.trim()] : [];
  if (Array.isArray(value))
    return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
  return [];
}
