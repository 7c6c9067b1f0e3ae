/**
 * What the consistency of the verified log rests on, said by `check` and `pull`. Without witnesses and without a
 * pinned checkpoint only this client's own mirror (trust on first use of a view) stands between it and a registry
 * that shows it another branch of its log than everyone else (a split view): the output says so and how to close it.
 */

/** Basis of the log's consistency for one run: cosigned by witnesses, a pinned checkpoint, or the registry alone. */
export type LogConsistencyBasis = 'witnessed' | 'pinned-checkpoint' | 'registry';

export function logConsistencyBasis(
  gate: { witnesses?: readonly string[]; pinnedCheckpoint?: string },
  log: { cosignedBy: readonly string[] },
): LogConsistencyBasis {
  // cosignedBy names only witnesses whose cosignature verified against a trusted key (--witness or the local
  // policy's log.witnesses): the flags alone do not say whether the policy named witnesses.
  if (log.cosignedBy.length > 0) return 'witnessed';
  if (gate.pinnedCheckpoint !== undefined) return 'pinned-checkpoint';
  return 'registry';
}

/** One line for the text output. */
export function consistencyLine(basis: LogConsistencyBasis, cosignedBy: readonly string[]): string {
  if (basis === 'witnessed') return `log consistency: cosigned by ${cosignedBy.length} witness(es) (${cosignedBy.join(', ')})`;
  if (basis === 'pinned-checkpoint') return 'log consistency: an extension of the pinned checkpoint (--log-checkpoint)';
  return "log consistency: relies on the registry and this client's mirror only (no witness, no pinned checkpoint): a view of the log shown to this client alone (split view) is not detected; add --witness or --log-checkpoint";
}
