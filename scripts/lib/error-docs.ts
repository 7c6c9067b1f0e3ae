import { ERROR_CODE_NAMES, ERROR_CODES } from '@modelsec/core';

/** The text of docs/errors.md: the one table of error codes, exit codes and HTTP statuses. */
export function renderErrorDocs(): string {
  const rows = ERROR_CODE_NAMES.map((code) => {
    const spec = ERROR_CODES[code];
    return `| \`${code}\` | ${spec.exit} | ${spec.http} | ${spec.summary} |`;
  });
  return `# Error codes

Generated from \`packages/core/src/errors/codes.ts\` by \`npm run docs:errors\`; a test fails when they differ.

Every error modelsec raises on purpose carries one of these codes. The CLI prints it (with \`--json\`:
\`{"ok": false, "error": {"code", "message", "details"}}\`) and exits with the exit code; the registry answers
\`{"error": {"code", "message", "details"}}\` with the HTTP status.

Exit codes: \`0\` success / nothing at or above the threshold; \`1\` the check failed (findings at or above
the threshold, a signature that does not verify, a policy that denies); \`2\` usage or input error (bad flag,
unreadable file, malformed input that is not itself the thing being judged); \`3\` internal error.

| code | exit | HTTP | when |
| --- | --- | --- | --- |
${rows.join('\n')}
`;
}
