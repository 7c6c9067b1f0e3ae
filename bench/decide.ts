/**
 * The verdict of a bench run, apart from running anything: each target is met or missed, a bench that threw
 * counts as missed, and the exit code is 1 when anything was missed. Printed as one table.
 */
import type { BenchResult, Target } from './lib.js';

export type Status = 'met' | 'MISSED' | 'info';

export interface Row {
  bench: string;
  figure: string;
  value: string;
  target: string;
  status: Status;
}

/** Whether `value op limit` holds (a type mismatch or a non-finite number never meets a target). */
export function isMet(t: Target): boolean {
  const { value, limit, op } = t;
  if (op === '==') return value === limit;
  if (typeof value !== 'number' || typeof limit !== 'number' || !Number.isFinite(value)) return false;
  if (op === '>=') return value >= limit;
  if (op === '<=') return value <= limit;
  if (op === '>') return value > limit;
  return value < limit;
}

/** A bench that threw: one missed row carrying the error message. */
export function failedBench(name: string, error: unknown): BenchResult {
  const message = error instanceof Error ? error.message : String(error);
  return { name, figures: {}, targets: [{ figure: 'error', value: message, op: '==', limit: 'none' }] };
}

/** Table rows: every target first (met or MISSED), then the informational figures. */
export function tableRows(results: readonly BenchResult[]): Row[] {
  const rows: Row[] = [];
  for (const result of results) {
    for (const t of result.targets) {
      rows.push({
        bench: result.name,
        figure: t.figure,
        value: String(t.value),
        target: `${t.op} ${String(t.limit)}`,
        status: isMet(t) ? 'met' : 'MISSED',
      });
    }
    for (const [figure, value] of Object.entries(result.figures)) {
      rows.push({ bench: result.name, figure, value: String(value), target: '', status: 'info' });
    }
  }
  return rows;
}

export interface Verdict {
  rows: Row[];
  missed: Row[];
  /** 1 when any target was missed (or a bench threw, or nothing ran), else 0. */
  exitCode: 0 | 1;
}

export function decide(results: readonly BenchResult[]): Verdict {
  const rows = tableRows(results);
  const missed = rows.filter((r) => r.status === 'MISSED');
  return { rows, missed, exitCode: missed.length > 0 || results.length === 0 ? 1 : 0 };
}

const HEADER: Row = { bench: 'bench', figure: 'figure', value: 'value', target: 'target', status: 'info' };

/** A plain-text table, one row per figure; the bench name is printed once per group. */
export function formatTable(rows: readonly Row[]): string {
  const status = (r: Row) => (r === HEADER ? 'met/missed' : r.status === 'info' ? '' : r.status);
  const all = [HEADER, ...rows];
  const width = (pick: (r: Row) => string) => Math.max(...all.map((r) => pick(r).length));
  const wf = width((r) => r.figure);
  const wv = Math.min(
    width((r) => r.value),
    40,
  );
  const wt = width((r) => r.target);
  const lines: string[] = [];
  let group = '';
  for (const r of all) {
    if (r !== HEADER && r.bench !== group) {
      group = r.bench;
      lines.push('', r.bench);
    }
    lines.push(`  ${r.figure.padEnd(wf)}  ${r.value.padStart(wv)}  ${r.target.padEnd(wt)}  ${status(r)}`.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
