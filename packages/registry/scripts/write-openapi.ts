/** Writes schemas/registry-openapi.json from the routes (the test keeps the file and the served document equal). */
import { writeFileSync } from 'node:fs';
import { createRegistry } from '../src/app.js';
import { tempDir } from '../src/test-support.js';

const registry = await createRegistry({ dataDir: tempDir(), adminToken: 'msk_openapi', scanner: null });
const doc = (await registry.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
await registry.app.close();
writeFileSync(new URL('../../../schemas/registry-openapi.json', import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
console.log('wrote schemas/registry-openapi.json');
