import type { Command } from 'commander';
import type { CliEnv } from '../command-kit.js';
import { register as attest } from './attest.js';
import { register as bom } from './bom.js';
import { register as check } from './check.js';
import { register as deps } from './deps.js';
import { register as digest } from './digest.js';
import { register as keygen } from './keygen.js';
import { register as lineage } from './lineage.js';
import { register as log } from './log.js';
import { register as pull } from './pull.js';
import { register as push } from './push.js';
import { register as registry } from './registry.js';
import { register as scan } from './scan.js';
import { register as sign } from './sign.js';
import { register as verify } from './verify.js';

/** A command's declaration: adds it (name, description, options, help text) to the program; its action loads the implementation. */
export type RegisterCommand = (program: Command, env: CliEnv) => void;

/**
 * Every command, in the order `--help` lists them. Each `X.ts` declares one command with a `register` function and
 * imports nothing heavy; its action does `await import('./X-action.js')`, which holds the implementation.
 */
export const COMMANDS: readonly RegisterCommand[] = [
  scan,
  bom,
  deps,
  digest,
  keygen,
  sign,
  verify,
  attest,
  push,
  pull,
  check,
  registry,
  log,
  lineage,
];
