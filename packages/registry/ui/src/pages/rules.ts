/**
 * Scanner rule documentation, from docs/rules.md of this source tree (bundled at build time, so it is the text of
 * the very version of the scanner that runs in this registry). Shown as text: headings and paragraphs, no markup.
 */
import rulesMarkdown from '../../../../../docs/rules.md?raw';
import { h, link } from '../dom.js';

export interface RuleDoc {
  id: string;
  title: string;
  body: string[];
}

export function parseRules(markdown: string): RuleDoc[] {
  const out: RuleDoc[] = [];
  const parts = markdown.split(/^### /m).slice(1);
  for (const part of parts) {
    const [heading = '', ...rest] = part.split('\n');
    const m = /^(MS-[A-Z0-9]+-\d{3}): (.*)$/.exec(heading);
    if (!m) continue;
    const body = rest
      .join('\n')
      .split(/^## /m)[0]!
      .split(/\n\s*\n/)
      .map((p) => p.replace(/\s+/g, ' ').trim())
      .filter((p) => p !== '');
    out.push({ id: m[1] as string, title: m[2] as string, body });
  }
  return out;
}

export function rulesPage(rule?: string) {
  const rules = parseRules(rulesMarkdown);
  const shown = rule ? rules.filter((r) => r.id === rule) : rules;
  return {
    title: rule ? `Rule ${rule}` : 'Scanner rules',
    body: h(
      'div',
      {},
      shown.length === 0 ? h('p', {}, 'No such rule in this version of the scanner.') : null,
      shown.map((r) =>
        h(
          'section',
          { 'aria-label': r.id },
          h('h2', {}, `${r.id}: ${r.title}`),
          r.body.map((p) => h('p', {}, p)),
        ),
      ),
      rule ? h('p', {}, link('/ui/-/rules', 'Every rule')) : null,
    ),
  };
}
