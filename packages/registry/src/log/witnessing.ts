/**
 * The registry's side of C2SP tlog-witness: after each change to the log (and on a timer, so a witness that was
 * down catches up) it submits the current checkpoint to every configured witness with a consistency proof from the
 * size that witness last cosigned, verifies each returned cosignature against the witness's key, and stores it for
 * `GET /v1/log/checkpoint`. Witnesses can only slow the registry by the bounded wait: a request is limited in time
 * and size, failures are reported (never thrown), and a publish never waits longer than WITNESS_PUBLISH_WAIT_MS.
 */

import { type CosignerVerifier, parseCosignerVerifierKey, parseNote, verifyCosignature } from '@modelsec/core/tlog';
import { type Clock, systemClock } from '@modelsec/core/util';
import type { TransparencyLog } from './transparency-log.js';
import { TLOG_SIZE_CONTENT_TYPE } from './witness.js';

/** Time allowed for one add-checkpoint request (connect + answer). */
export const WITNESS_REQUEST_TIMEOUT_MS = 5_000;
/** Largest answer read from a witness (a few signature lines). */
export const WITNESS_MAX_RESPONSE_BYTES = 16 * 1024;
/** Requests per witness per round: the first, and one more after a 409 that tells the witness's size. */
export const WITNESS_MAX_ATTEMPTS = 2;
/** Longest a change (publish, yank, policy, namespace) waits for its witness round before it answers. */
export const WITNESS_PUBLISH_WAIT_MS = 2 * WITNESS_MAX_ATTEMPTS * WITNESS_REQUEST_TIMEOUT_MS;
/** Background rounds: a witness that missed checkpoints (down, slow) is brought up to date this often. */
export const WITNESS_RETRY_INTERVAL_MS = 60_000;
/**
 * A cosignature older than this is renewed (the same checkpoint submitted again; a witness cosigns its newest tree
 * with the current time). Clients bound the age of the cosignatures they accept (client/log-mirror.ts
 * DEFAULT_MAX_CHECKPOINT_AGE_SECONDS, one day): an idle log must stay fresh, so this is well below it.
 */
export const WITNESS_COSIGNATURE_REFRESH_MS = 60 * 60_000;

export interface WitnessTarget {
  /** The witness's submission prefix: requests go to `<url>/add-checkpoint`. */
  url: string;
  key: CosignerVerifier;
}

export type WitnessEvent =
  | { kind: 'cosigned'; witness: string; size: number }
  | { kind: 'refused'; witness: string; size: number; status: number; message: string; fork: boolean }
  | { kind: 'unreachable'; witness: string; size: number; message: string }
  | { kind: 'ahead'; witness: string; size: number; witnessSize: number };

export function parseWitnessTarget(url: string, keyText: string): WitnessTarget {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`witness URL ${url} is not http(s)`);
  return { url: url.replace(/\/+$/, ''), key: parseCosignerVerifierKey(keyText) };
}

async function readLimited(response: Response, limit: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class Witnessing {
  /** The size each witness last told us it cosigned (learnt from its answers; 0 until then). */
  private readonly known = new Map<string, number>();
  private running: Promise<void> | undefined;
  private pending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly log: TransparencyLog,
    readonly targets: readonly WitnessTarget[],
    private readonly options: { onEvent?: (event: WitnessEvent) => void; timeoutMs?: number; clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Starts background rounds (the timer does not keep the process alive). */
  start(intervalMs = WITNESS_RETRY_INTERVAL_MS): void {
    if (this.targets.length === 0 || this.timer) return;
    this.timer = setInterval(() => void this.round().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([this.running, this.pending]);
  }

  /**
   * A round that starts after this call (rounds are coalesced: one running, at most one queued). Waits at most
   * `waitMs` for it; never throws.
   */
  async afterChange(waitMs = WITNESS_PUBLISH_WAIT_MS): Promise<void> {
    if (this.targets.length === 0) return;
    const round = this.round().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([round, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /** Runs a round after the current one (if any); concurrent callers share the queued round. */
  round(): Promise<void> {
    if (!this.running) {
      this.running = this.submitAll().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.pending ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.pending = undefined;
        return this.round();
      });
    return this.pending;
  }

  private async submitAll(): Promise<void> {
    const note = await this.log.checkpoint();
    const { text } = parseNote(note);
    const size = Number(text.split('\n', 2)[1]);
    // Witnesses with a recent cosignature of this size are not asked again; an old one is renewed.
    const renewBefore = this.clock.now().getTime() - WITNESS_COSIGNATURE_REFRESH_MS;
    const have = new Set(
      (await this.log.store.cosignaturesFor(size)).filter((c) => Date.parse(c.createdAt) > renewBefore).map((c) => c.witness),
    );
    await Promise.all(
      this.targets.filter((t) => !have.has(t.key.text)).map((t) => this.submit(t, note, text, size).catch(() => undefined)),
    );
  }

  private emit(event: WitnessEvent): void {
    this.options.onEvent?.(event);
  }

  private async submit(target: WitnessTarget, note: string, body: string, size: number): Promise<void> {
    const name = target.key.name;
    for (let attempt = 0; attempt < WITNESS_MAX_ATTEMPTS; attempt++) {
      const old = this.known.get(target.key.text) ?? 0;
      if (old > size) {
        // The witness cosigned a larger tree of this log than we have: this data is older than what was published
        // (a restored backup, a fork). Nothing can be proven to it; say so loudly.
        this.emit({ kind: 'ahead', witness: name, size, witnessSize: old });
        return;
      }
      const proof = old === 0 || old === size ? [] : await this.log.consistencyProof(old, size);
      const request = `old ${old}\n${proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}\n${note}`;
      let response: Response;
      let answer: string | undefined;
      try {
        response = await fetch(`${target.url}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: request,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? WITNESS_REQUEST_TIMEOUT_MS),
        });
        answer = await readLimited(response, WITNESS_MAX_RESPONSE_BYTES);
      } catch (error) {
        this.emit({ kind: 'unreachable', witness: name, size, message: (error as Error).message });
        return;
      }
      if (answer === undefined) {
        this.emit({
          kind: 'unreachable',
          witness: name,
          size,
          message: `answer larger than ${WITNESS_MAX_RESPONSE_BYTES} bytes`,
        });
        return;
      }
      const type = response.headers.get('content-type')?.split(';')[0]?.trim();
      if (response.status === 409 && type === TLOG_SIZE_CONTENT_TYPE && /^(0|[1-9][0-9]{0,15})\n$/.test(answer)) {
        this.known.set(target.key.text, Number(answer));
        continue;
      }
      if (response.status !== 200) {
        this.emit({
          kind: 'refused',
          witness: name,
          size,
          status: response.status,
          message: answer.slice(0, 300).trim(),
          // 409 without a size (same size, another root) or 422 (not an extension): the witness saw another tree.
          fork: response.status === 409 || response.status === 422,
        });
        return;
      }
      const line = this.verifiedLine(target, body, answer);
      if (!line) {
        this.emit({
          kind: 'refused',
          witness: name,
          size,
          status: 200,
          message: 'no valid cosignature in the answer',
          fork: false,
        });
        return;
      }
      this.known.set(target.key.text, size);
      await this.log.store.saveCosignature({
        size,
        witness: target.key.text,
        line,
        createdAt: this.clock.now().toISOString(),
      });
      this.emit({ kind: 'cosigned', witness: name, size });
      return;
    }
  }

  /** The first line of a witness's answer that is a valid cosignature of `body` by the witness's key. */
  private verifiedLine(target: WitnessTarget, body: string, answer: string): string | undefined {
    for (const line of answer.split('\n')) {
      if (!line) continue;
      let signatures: ReturnType<typeof parseNote>['signatures'];
      try {
        signatures = parseNote(`${body}\n${line}\n`).signatures;
      } catch {
        continue;
      }
      const [sig] = signatures;
      if (sig && verifyCosignature(body, sig, target.key) !== undefined) return line;
    }
    return undefined;
  }
}
