import { ModelsecError } from '../../errors/index.js';
import { detectBomFormat } from '../validate/detect.js';
import type { BomValidationError } from '../validate/types.js';
import { validateCycloneDx } from '../validate/validate.js';
import { buildContext } from './context.js';
import { RUBRIC, type RubricField, SCORE_CATEGORIES, type ScoreCategory } from './rubric.js';

/** Completeness profiles, as in the OWASP AIBOM rubric: a score at or above the bound earns the name. */
export const SCORE_PROFILES = [
  { name: 'advanced', min: 85 },
  { name: 'standard', min: 70 },
  { name: 'basic', min: 40 },
  { name: 'minimal', min: 0 },
] as const;

export type FieldTier = 'critical' | 'important' | 'supplementary';

export function tierOf(weight: number): FieldTier {
  return weight >= 4 ? 'critical' : weight >= 2 ? 'important' : 'supplementary';
}

export interface ScoredField {
  id: string;
  category: ScoreCategory;
  weight: number;
  tier: FieldTier;
  path: string;
  /** present: scored; absent: not in the BOM; invalid: present but inside a shape the schema rejects. */
  status: 'present' | 'absent' | 'invalid';
  earned: number;
}

export interface CategoryScore {
  id: ScoreCategory;
  title: string;
  score: number;
  max: number;
  /** score / max as a whole percentage. */
  percent: number;
}

export interface CompletenessScore {
  /** 0-100: the sum of the weights of the fields present in valid shapes. */
  score: number;
  max: 100;
  profile: (typeof SCORE_PROFILES)[number]['name'];
  specVersion: string;
  /** Whether the whole BOM validated; when false, fields inside the failing shapes score nothing. */
  valid: boolean;
  validationErrors: BomValidationError[];
  /** The model that was scored, when the BOM has one. */
  model?: { pointer: string; name?: string; bomRef?: string };
  categories: CategoryScore[];
  fields: ScoredField[];
  /** Fields not earned (absent or invalid), heaviest first. */
  missing: ScoredField[];
}

function pointerWithin(pointer: string, ancestor: string): boolean {
  return pointer === ancestor || pointer.startsWith(`${ancestor}/`);
}

function scoreField(field: RubricField, located: { pointer: string }[], errorPaths: string[]): ScoredField {
  const base = { id: field.id, category: field.category, weight: field.weight, tier: tierOf(field.weight), path: field.path };
  if (located.length === 0) return { ...base, status: 'absent', earned: 0 };
  // A field counts only where no schema error lies at or below the place it was found.
  const isInvalid = (l: { pointer: string }) => errorPaths.some((e) => pointerWithin(e, l.pointer));
  const invalid = field.requireAll ? located.some(isInvalid) : located.every(isInvalid);
  return invalid ? { ...base, status: 'invalid', earned: 0 } : { ...base, status: 'present', earned: field.weight };
}

/**
 * Scores the completeness of a CycloneDX JSON ML-BOM from 0 to 100 with the rubric in rubric.ts (documented in
 * docs/mlbom.md). The BOM is validated first; a field found inside a shape the schema rejects scores nothing, so
 * only valid content counts. Throws BOM_NOT_RECOGNISED for non-BOMs and BOM_UNSUPPORTED_SPEC for XML (score
 * reads JSON) or versions other than 1.4-1.7.
 */
export function scoreCycloneDx(text: string, options: { source?: string } = {}): CompletenessScore {
  const source = options.source ?? 'BOM';
  if (detectBomFormat(text) === 'xml') {
    throw new ModelsecError('BOM_UNSUPPORTED_SPEC', `${source}: bom score reads CycloneDX JSON; XML BOMs are not scored`, {
      details: { file: source, format: 'xml' },
    });
  }
  const validation = validateCycloneDx(text, { source });
  const doc = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  const ctx = buildContext(doc, validation.specVersion);
  const errorPaths = validation.errors.map((e) => (e.path === '/' ? '' : e.path)).filter((p) => p !== '');
  const fields = RUBRIC.map((f) => scoreField(f, f.locate(ctx), errorPaths));
  const score = fields.reduce((sum, f) => sum + f.earned, 0);
  const categories = SCORE_CATEGORIES.map(({ id, title }) => {
    const mine = fields.filter((f) => f.category === id);
    const max = mine.reduce((s, f) => s + f.weight, 0);
    const got = mine.reduce((s, f) => s + f.earned, 0);
    return { id, title, score: got, max, percent: max === 0 ? 0 : Math.round((100 * got) / max) };
  });
  const missing = fields
    .filter((f) => f.status !== 'present')
    .sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const profile = SCORE_PROFILES.find((p) => score >= p.min)?.name ?? 'minimal';
  const model = ctx.model
    ? {
        pointer: ctx.model.pointer,
        ...(typeof ctx.model.value.name === 'string' ? { name: ctx.model.value.name } : {}),
        ...(typeof ctx.model.value['bom-ref'] === 'string' ? { bomRef: ctx.model.value['bom-ref'] } : {}),
      }
    : undefined;
  return {
    score,
    max: 100,
    profile,
    specVersion: validation.specVersion,
    valid: validation.valid,
    validationErrors: validation.errors,
    ...(model ? { model } : {}),
    categories,
    fields,
    missing,
  };
}
