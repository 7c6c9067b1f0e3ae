/**
 * A worker thread of the OSV loader: reads one slice (in file order) of a zip export's entries, inflates and
 * screens each (osv-screen.ts), and hands back the texts of the records that may name a wanted package. The
 * loading thread parses, checks and indexes those, in entry order, so the result does not depend on the split.
 */
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { screenRecord } from './osv-screen.js';
import { readZipEntries, type ZipDirectory, ZipReadError } from './osv-zip.js';

export interface OsvWorkerInput {
  path: string;
  size: number;
  dir: ZipDirectory;
  from: number;
  to: number;
  wanted: string[];
}

export type OsvWorkerMessage =
  | { type: 'progress'; done: number }
  | { type: 'done'; done: number; records: number; hits: { name: string; text: string }[] }
  | { type: 'error'; message: string; entry?: string; limit?: string; zip: boolean };

async function work(input: OsvWorkerInput): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const wanted = new Set(input.wanted);
  const handle = await open(input.path, 'r');
  let done = 0;
  let records = 0;
  const hits: { name: string; text: string }[] = [];
  try {
    for await (const entry of readZipEntries(handle, input.size, input.dir, input.from, input.to)) {
      done++;
      if ((done & 4095) === 0) port.postMessage({ type: 'progress', done } satisfies OsvWorkerMessage);
      if (!entry.name.endsWith('.json')) continue;
      records++;
      const text = entry.data.toString('utf8');
      const verdict = screenRecord(text, wanted);
      if (verdict === 'wanted') hits.push({ name: entry.name, text });
      else if (verdict !== 'other') {
        port.postMessage({ type: 'error', message: verdict.problem, entry: entry.name, zip: false } satisfies OsvWorkerMessage);
        return;
      }
    }
    port.postMessage({ type: 'done', done: input.to - input.from, records, hits } satisfies OsvWorkerMessage);
  } catch (error) {
    const zip = error instanceof ZipReadError;
    port.postMessage({
      type: 'error',
      message: (error as Error).message,
      ...(zip && error.entry ? { entry: error.entry } : {}),
      ...(zip && error.limit ? { limit: error.limit } : {}),
      zip,
    } satisfies OsvWorkerMessage);
  } finally {
    await handle.close();
  }
}

void work(workerData as OsvWorkerInput);
