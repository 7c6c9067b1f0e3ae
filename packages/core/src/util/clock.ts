/**
 * An injectable clock, so that reports, BOMs and log entries can be reproduced byte for byte.
 * `SOURCE_DATE_EPOCH` (seconds since the epoch, as in reproducible-builds.org) pins the time when set.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date | string | number): Clock {
  const time = new Date(at).getTime();
  if (Number.isNaN(time)) throw new RangeError(`fixedClock: not a date: ${String(at)}`);
  return { now: () => new Date(time) };
}

/** The clock named by `SOURCE_DATE_EPOCH` when it is set to a whole number of seconds, else the system clock. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw !== undefined && /^\d{1,12}$/.test(raw.trim())) return fixedClock(Number(raw.trim()) * 1000);
  return systemClock;
}
