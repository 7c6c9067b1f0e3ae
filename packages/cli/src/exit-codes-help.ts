/** The exit-code section of `modelsec --help`; docs and README carry the same text (kept in step by a test). */
export const EXIT_CODES_HELP = `Exit codes:
  0  success; nothing found at or above the threshold
  1  the check failed: findings at or above the threshold, a signature that does not verify, a policy that denies
  2  usage or input error: bad flag, unreadable file, malformed input that is not itself the thing being judged
  3  internal error (a bug, or a remote service failure)`;
