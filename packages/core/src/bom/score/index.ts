export { MAX_SCORED_COMPONENTS } from './context.js';
export { RUBRIC, type RubricField, SCORE_CATEGORIES, type ScoreCategory } from './rubric.js';
export {
  type CategoryScore,
  type CompletenessScore,
  type FieldTier,
  SCORE_PROFILES,
  type ScoredField,
  scoreCycloneDx,
  tierOf,
} from './score.js';
