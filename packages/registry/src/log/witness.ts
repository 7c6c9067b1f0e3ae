/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness): `POST <prefix>/add-checkpoint` takes an old size, a
 * consistency proof and a checkpoint; the witness checks the log's signature (keys it is configured with), that the
 * old size is the size it last cosigned for that origin, and that the new tree extends the one it saw; it persists
 * the new state, then returns its cosignature (C2SP tlog-cosignature v1). It never cosigns two different trees of
 * the same size, nor a tree that does not extend the one it saw: a log that forks cannot get its cosignature for
 * the branch this witness did not see.
 *
 * State: one JSON file per log origin in the state directory, replaced atomically (write, fsync, rename, fsync the
 * directory) BEFORE the cosignature is returned; the check of the old size and the write happen under one lock (the
 * race the spec describes cannot roll the state back). A lock file keeps a second witness process off the same state.
 * An unreadable state file stops the witness: forgetting what it saw would let a fork through.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import {
  type Cosigner,
  cosignCheckpoint,
  emptyRoot,
  equalBytes,
  HASH_SIZE,
  type NoteVerifier,
  openNote,
  parseCheckpointBody,
  parseNote,
  verifyConsistency,
} from '@modelsec/core/tlog';
import { type Clock, systemClock } from '@modelsec/core/util';

/** Largest add-checkpoint body: an old-size line, at most 63 proof lines, a checkpoint with its signatures. */
export const MAX_ADD_CHECKPOINT_BYTES = 64 * 1024;
/** C2SP tlog-witness: a client MUST NOT send more than 63 consistency proof lines. */
export const MAX_CONSISTENCY_PROOF_LINES = 63;
/** Time a client has to send a whole request (headers and body are small; a slow sender only holds a socket). */
export const WITNESS_SERVER_REQUEST_TIMEOUT_MS = 10_000;
/** The content type of a 409 answer that tells the size the witness last cosigned. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
const STATE_PREFIX = 'log-';
const LOCK_FILE = 'witness.lock';
/** State directories held by witnesses of this process (the lock file's pid cannot tell two of them apart). */
const HELD = new Set<string>();

export interface WitnessState {
  origin: string;
  size: number;
  /** base64 root hash of the tree of `size` leaves. */
  rootHash: string;
  /** The checkpoint the witness cosigned last (note text as submitted). */
  checkpoint: string;
}

export interface WitnessAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface WitnessOptions {
  cosigner: Cosigner;
  /** Log keys the witness trusts (the origin of a checkpoint is its key's name). */
  logKeys: readonly NoteVerifier[];
  stateDir: string;
  clock?: Clock;
}

const text = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): WitnessAnswer => ({
  status,
  contentType,
  body: body.endsWith('\n') ? body : `${body}\n`,
});

function stateFile(dir: string, origin: string): string {
  return join(dir, `${STATE_PREFIX}${createHash('sha256').update(origin).digest('hex').slice(0, 32)}.json`);
}

async function writeAtomically(dir: string, file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode: 0o600, flush: true });
  await rename(temp, file);
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function parseState(raw: string, file: string): WitnessState {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw new ModelsecError('LOG_INCONSISTENT', `${file}: witness state is not JSON; refusing to start`, { cause });
  }
  const s = value as WitnessState;
  if (
    typeof s?.origin !== 'string' ||
    !Number.isSafeInteger(s.size) ||
    s.size < 0 ||
    typeof s.rootHash !== 'string' ||
    Buffer.from(s.rootHash, 'base64').length !== HASH_SIZE ||
    typeof s.checkpoint !== 'string'
  )
    throw new ModelsecError('LOG_INCONSISTENT', `${file}: witness state is malformed; refusing to start`);
  return s;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parts of an add-checkpoint body; throws a 400 answer when it is malformed. */
function parseRequest(body: string): { oldSize: number; proof: Uint8Array[]; note: string } {
  let pos = body.indexOf('\n');
  const first = pos < 0 ? '' : body.slice(0, pos);
  const m = /^old (0|[1-9][0-9]{0,15})$/.exec(first);
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw text(400, 'the body must start with "old <size>"');
  const proof: Uint8Array[] = [];
  pos += 1;
  for (;;) {
    const end = body.indexOf('\n', pos);
    if (end < 0) throw text(400, 'no empty line before the checkpoint');
    const line = body.slice(pos, end);
    pos = end + 1;
    if (line === '') break;
    if (proof.length >= MAX_CONSISTENCY_PROOF_LINES)
      throw text(400, `more than ${MAX_CONSISTENCY_PROOF_LINES} consistency proof lines`);
    const hash = Buffer.from(line, 'base64');
    if (hash.length !== HASH_SIZE || hash.toString('base64') !== line) throw text(400, 'a proof line is not a base64 hash');
    proof.push(new Uint8Array(hash));
  }
  return { oldSize: Number(m[1]), proof, note: body.slice(pos) };
}

export class Witness {
  private readonly states = new Map<string, WitnessState>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clock: Clock;

  private constructor(
    private readonly options: WitnessOptions,
    private readonly dir: string,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  get name(): string {
    return this.options.cosigner.name;
  }

  /** The witness's verifier key (what logs and clients configure). */
  get verifierKey(): string {
    return this.options.cosigner.text;
  }

  /** Takes the state directory (one witness process per directory) and loads what it cosigned before. */
  static async open(options: WitnessOptions): Promise<Witness> {
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    const dir = await realpath(options.stateDir);
    if (HELD.has(dir))
      throw new ModelsecError('CONFLICT', `witness state ${options.stateDir} is in use by this process`, {
        details: { stateDir: options.stateDir, pid: process.pid },
      });
    const lock = join(options.stateDir, LOCK_FILE);
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && pidAlive(holder))
        throw new ModelsecError('CONFLICT', `witness state ${options.stateDir} is in use by process ${holder}`, {
          details: { stateDir: options.stateDir, pid: holder },
        });
      await writeFile(lock, `${process.pid}\n`, { mode: 0o600 });
    }
    HELD.add(dir);
    const witness = new Witness(options, dir);
    try {
      for (const name of (await readdir(options.stateDir)).sort()) {
        if (!name.startsWith(STATE_PREFIX) || !name.endsWith('.json')) continue;
        const file = join(options.stateDir, name);
        const state = parseState(await readFile(file, 'utf8'), file);
        if (stateFile(options.stateDir, state.origin) !== file)
          throw new ModelsecError('LOG_INCONSISTENT', `${file}: holds the state of another origin; refusing to start`);
        witness.states.set(state.origin, state);
      }
    } catch (error) {
      await witness.close();
      throw error;
    }
    return witness;
  }

  /** What the witness last cosigned for `origin`. */
  latest(origin: string): WitnessState | undefined {
    return this.states.get(origin);
  }

  async close(): Promise<void> {
    if (!HELD.has(this.dir)) return;
    await this.queue.catch(() => undefined);
    await rm(join(this.options.stateDir, LOCK_FILE), { force: true });
    HELD.delete(this.dir);
  }

  /** Handles one add-checkpoint request body; answers with the C2SP status codes. */
  addCheckpoint(body: string): Promise<WitnessAnswer> {
    // One request at a time: the old-size check and the state update are atomic (C2SP tlog-witness).
    const next = this.queue.then(() => this.handle(body));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async handle(body: string): Promise<WitnessAnswer> {
    let request: ReturnType<typeof parseRequest>;
    let cp: ReturnType<typeof parseCheckpointBody>;
    let noteText: string;
    try {
      request = parseRequest(body);
      const parsed = parseNote(request.note);
      noteText = parsed.text;
      cp = parseCheckpointBody(noteText);
    } catch (error) {
      if ((error as WitnessAnswer).status) return error as WitnessAnswer;
      return text(400, `malformed checkpoint: ${(error as Error).message}`);
    }
    const keys = this.options.logKeys.filter((k) => k.name === cp.origin);
    if (keys.length === 0) return text(404, `unknown log origin ${JSON.stringify(cp.origin)}`);
    const signed = keys.some((key) => {
      try {
        openNote(request.note, key);
        return true;
      } catch {
        return false;
      }
    });
    if (!signed) return text(403, 'no signature by a trusted key of this log');
    if (request.oldSize > cp.size) return text(400, `old size ${request.oldSize} is larger than the checkpoint size ${cp.size}`);
    const state = this.states.get(cp.origin);
    const stateSize = state?.size ?? 0;
    if (request.oldSize !== stateSize) return text(409, `${stateSize}`, TLOG_SIZE_CONTENT_TYPE);
    const stateRoot = state ? new Uint8Array(Buffer.from(state.rootHash, 'base64')) : emptyRoot();
    if (request.oldSize === cp.size) {
      if (request.proof.length > 0) return text(400, 'the consistency proof must be empty when the sizes are equal');
      if (!equalBytes(stateRoot, cp.rootHash))
        return text(409, `this witness cosigned another tree of size ${cp.size} for ${cp.origin}: the log forked`);
    } else if (request.oldSize === 0) {
      if (request.proof.length > 0) return text(400, 'the consistency proof must be empty when the old size is 0');
    } else if (!verifyConsistency(request.oldSize, cp.size, stateRoot, cp.rootHash, request.proof)) {
      return text(422, `the tree of size ${cp.size} is not an extension of the tree of size ${request.oldSize} this witness saw`);
    }
    const next: WitnessState = {
      origin: cp.origin,
      size: cp.size,
      rootHash: Buffer.from(cp.rootHash).toString('base64'),
      checkpoint: request.note,
    };
    await writeAtomically(
      this.options.stateDir,
      stateFile(this.options.stateDir, cp.origin),
      `${JSON.stringify(next, null, 2)}\n`,
    );
    this.states.set(cp.origin, next);
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    return text(200, cosignCheckpoint(noteText, this.options.cosigner, timestamp));
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The witness's HTTP interface: `POST <prefix>/add-checkpoint` (prefix default empty) and `GET <prefix>/key`
 * (the verifier key, for operators). Anything else is 404; a body over MAX_ADD_CHECKPOINT_BYTES is 413.
 */
export function createWitnessServer(witness: Witness, prefix = ''): Server {
  const server = createServer((request, response) => {
    const send = (a: WitnessAnswer) => {
      response.writeHead(a.status, { 'content-type': a.contentType, 'content-length': Buffer.byteLength(a.body) });
      response.end(a.body);
    };
    const path = (request.url ?? '').split('?')[0];
    if (path === `${prefix}/key` && request.method === 'GET') return send(text(200, witness.verifierKey));
    if (path !== `${prefix}/add-checkpoint`) return send(text(404, 'not found'));
    if (request.method !== 'POST') return send(text(405, 'add-checkpoint takes POST'));
    readBody(request, MAX_ADD_CHECKPOINT_BYTES)
      .then(async (body) => {
        if (body === undefined) return send(text(413, `the body is larger than ${MAX_ADD_CHECKPOINT_BYTES} bytes`));
        send(await witness.addCheckpoint(body));
      })
      .catch((error: unknown) => {
        if (!response.headersSent) send(text(500, `witness error: ${(error as Error).message}`));
        else response.destroy();
      });
  });
  server.requestTimeout = WITNESS_SERVER_REQUEST_TIMEOUT_MS;
  server.headersTimeout = WITNESS_SERVER_REQUEST_TIMEOUT_MS;
  return server;
}
