/** Writes docs/rules.md from the scanner rule catalogue in @modelsec/core (run: npm run docs:rules). */
import { writeFileSync } from 'node:fs';
import { renderRulesDocs } from '../packages/core/src/scan/rules-docs.js';

writeFileSync(new URL('../docs/rules.md', import.meta.url), renderRulesDocs());
