import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Each test file gets its own config dir (where the CLI pins registry log keys on first use). Registries started
// by different files may reuse a loopback port with a new log key; a shared dir would turn that into a spurious
// LOG_KEY_MISMATCH. A test that checks trust-on-first-use across calls sets MODELSEC_CONFIG_DIR itself.
process.env.MODELSEC_CONFIG_DIR = mkdtempSync(path.join(os.tmpdir(), 'modelsec-test-config-'));
