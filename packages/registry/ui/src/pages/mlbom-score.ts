/**
 * The ML-BOM completeness score, with core's own rubric (packages/core/src/bom/score: pure code, bundled here), so
 * the page shows the number `modelsec bom score` prints. The registry validated the ML-BOM at push, so every field
 * found counts (core's score gives nothing only for fields inside shapes the schema rejects).
 */
import { buildContext } from '../../../../core/src/bom/score/context.js';
import { RUBRIC, SCORE_CATEGORIES } from '../../../../core/src/bom/score/rubric.js';

export interface BrowserScore {
  score: number;
  categories: { title: string; score: number; max: number }[];
  missing: { id: string; path: string; why: string; weight: number }[];
}

export function scoreMlbom(bom: Record<string, unknown>): BrowserScore {
  const ctx = buildContext(bom, typeof bom.specVersion === 'string' ? bom.specVersion : '1.6');
  const fields = RUBRIC.map((f) => ({ field: f, earned: f.locate(ctx).length > 0 ? f.weight : 0 }));
  return {
    score: fields.reduce((s, f) => s + f.earned, 0),
    categories: SCORE_CATEGORIES.map(({ id, title }) => {
      const mine = fields.filter((f) => f.field.category === id);
      return { title, score: mine.reduce((s, f) => s + f.earned, 0), max: mine.reduce((s, f) => s + f.field.weight, 0) };
    }),
    missing: fields
      .filter((f) => f.earned === 0)
      .map((f) => ({ id: f.field.id, path: f.field.path, why: f.field.why, weight: f.field.weight }))
      .sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}
