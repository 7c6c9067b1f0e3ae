import { runPickle } from './vm.js';

/**
 * Content test for a pickle, decided by the VM itself rather than by a skim: the bytes are a pickle when CPython's
 * unpickler would do something with them: reach STOP, or run an opcode with an effect (an import, a call, BUILD...)
 * before it fails. Bytes it rejects before any effect are not a pickle (`requirements.txt` opening `torch==2.3.1`:
 * TUPLE without MARK). A head that ends while the stream is still going (a long data-only stream) is taken as one.
 * Used by format detection and to find pickles stored as data; the pickle reading of every file (reading.ts) does
 * not depend on it.
 */
export function looksLikePickle(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const run = runPickle(bytes, 0, { window: true });
  if (run.stopped || run.effects) return true;
  return run.needEnd !== undefined && run.opcodes > 1;
}
