/**
 * Who holds a lock or a temp directory: `host:pid:nonce` of the registry process (the nonce tells a restarted
 * process from an earlier one that had the same pid). On the same host a holder whose process is gone is stale at
 * once (a kill -9 frees its locks on restart); on another host only its lease expiry frees them.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** This process, for the lifetime of the module. */
export const PROCESS_ID = `${os.hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that wrote `holder` (a PROCESS_ID, optionally followed by `:...`) is known to be gone. */
export function holderIsGone(holder: string): boolean {
  const [host, pidText, nonce] = holder.split(':');
  const [ownHost, ownPid, ownNonce] = PROCESS_ID.split(':');
  if (host !== ownHost) return false;
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pidText === ownPid) return nonce !== ownNonce;
  return !processAlive(pid);
}
