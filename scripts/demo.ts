/**
 * npm run demo: runs modelsec end to end on the shipped fixtures, as a user would, through the real CLI.
 * Each capability adds a step in scripts/demo/steps.ts.
 */
import { runDemo } from './demo/runner.js';

process.exitCode = await runDemo();
