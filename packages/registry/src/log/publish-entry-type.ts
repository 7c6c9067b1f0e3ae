/**
 * The publish log entry, as one type for the whole package: the registry builds `PublishEntry` (format v2, core
 * tlog/entries.ts) at push (publish-entry.ts), a client reads it back as `LoggedPublishEntry` (evidence.ts checks
 * every field) and the log client compares a logged entry with a `PublishEntryExpectation`. A leaf module: types
 * only, so the client and the server both import it without loading the other.
 */
import type { LogEntry, LoggedScan, PublishEntry } from '@modelsec/core/tlog';

export type { PublishEntry };

/** A publish entry as a client reads it from a log: `scan` may be absent (registries that did not log their scan). */
export type LoggedPublishEntry = Omit<PublishEntry, 'scan'> & { scan?: LoggedScan };

/** The fields a caller expects of a logged entry (the publish entry of a version, by default). */
export type PublishEntryExpectation = Partial<
  Pick<PublishEntry, 'namespace' | 'model' | 'version' | 'rootDigest' | 'bundleDigest'> & { type: LogEntry['type'] }
>;
