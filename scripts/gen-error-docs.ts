/** Writes docs/errors.md from the error-code registry in @modelsec/core (run: npm run docs:errors). */
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from './lib/error-docs.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
