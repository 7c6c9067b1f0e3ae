import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec scan`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('scan')
    .description('Scan model files for unsafe payloads (pickle, PyTorch, Keras, GGUF, ONNX, safetensors...)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'scan', 'issue #3'));
}
