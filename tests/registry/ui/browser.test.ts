/**
 * The auditors' web view (issue 16) in a real browser: Debian's chromium driven by playwright-core, against a
 * registry this test starts with pushed versions (tests/helpers/ui-registry.ts). Each page shows the right facts;
 * the in-browser log proof passes on the honest log and fails, visibly, on a tampered entry and a forked checkpoint;
 * attacker-controlled strings render inert under the CSP. Screenshots of each page (1280x800) go to docs/ui/.
 *
 * Skips only outside CI when /usr/bin/chromium is absent (scripts/ensure-chromium.sh installs it; CI runs that first).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSignerKey, scoreCycloneDx, signCheckpoint } from '@modelsec/core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTESTATION_TYPE, DATASET_DIGEST, startUiRegistry, type UiRegistry, XML_BOM, XSS } from '../../helpers/ui-registry.js';

const CHROMIUM = '/usr/bin/chromium';
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const shots = path.join(repo, 'docs', 'ui');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI)
  throw new Error(`${CHROMIUM} is missing under CI: .ci/run must run scripts/ensure-chromium.sh first`);
if (!haveChromium) console.warn(`ui-browser tests skipped: ${CHROMIUM} is not installed (bash scripts/ensure-chromium.sh)`);

describe.skipIf(!haveChromium)('web UI in chromium', { timeout: 120_000 }, () => {
  let registry: UiRegistry;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The app as `npm run build` makes it, from the current sources.
    await build({ configFile: path.join(repo, 'packages/registry/ui/vite.config.ts'), logLevel: 'error' });
    registry = await startUiRegistry();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    mkdirSync(shots, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await registry?.close();
  });

  const open = async (address: string) => {
    await page.goto(`${registry.url}${address}`);
    await page.waitForSelector(`main[data-rendered="${address.split('#')[0]}"]`);
  };
  const main = () => page.locator('main');
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`) });

  it('serves the app at /ui/ with a CSP without inline scripts; deep links return the app', async () => {
    const res = await fetch(`${registry.url}/ui/acme/clean/1.0.0`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toMatch(/<script type="module" crossorigin src="\/ui\/_\/index-[^"]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await fetch(`${registry.url}/ui/_/nothing.js`)).status).toBe(404);
    const redirect = await fetch(`${registry.url}/ui`, { redirect: 'manual' });
    expect(redirect.headers.get('location')).toBe('/ui/');
  });

  it('namespaces → models → versions: the refused push is absent, the yanked one marked', async () => {
    await open('/ui/');
    await expect(main().locator('table a').allTextContents()).resolves.toEqual(['acme', 'lab']);
    await shot('namespaces');
    await main().getByRole('link', { name: 'acme' }).click();
    await page.waitForSelector('main[data-rendered="/ui/acme"]');
    await expect(main().locator('table').first().locator('a').allTextContents()).resolves.toEqual([
      'clean',
      'tuned',
      'xmlbom',
      'xss',
    ]);
    expect(registry.refusedCode).toBe('POLICY_DENIED');
    await shot('namespace');
    await open('/ui/acme/clean');
    const rows = await main().locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('1.0.0');
    expect(rows[0]).toContain('available');
    expect(rows[1]).toContain('1.1.0');
    expect(rows[1]).toContain('yanked');
    await shot('model');
    await open('/ui/acme/evil');
    await expect(main().textContent()).resolves.toContain('No version of this model.');
  });

  it('a version page shows files, signer, publication, scan verdict and that it is not yanked', async () => {
    await open('/ui/acme/clean/1.0.0');
    const text = (await main().textContent()) ?? '';
    const version = await registry.admin.json<{ files: { path: string; digest: string }[]; signer: { keyFingerprint: string } }>(
      'GET',
      '/v1/namespaces/acme/models/clean/versions/1.0.0',
    );
    for (const f of version.files) {
      expect(text).toContain(f.path);
      expect(text).toContain(f.digest);
    }
    expect(text).toContain(version.signer.keyFingerprint);
    expect(text).toContain(registry.roots['acme/clean@1.0.0']);
    expect(text).toContain('admin-');
    await expect(page.getByTestId('yanked').textContent()).resolves.toBe('Not yanked.');
    expect(await page.getByTestId('scan-file').evaluateAll((els) => els.map((e) => e.getAttribute('data-verdict')))).toEqual([
      'clean',
      'clean',
    ]);
    await open('/ui/acme/clean/1.1.0');
    await expect(page.getByTestId('yanked').textContent()).resolves.toMatch(/^YANKED on 2026-01-02 03:04:05 UTC: weights leaked/);
    await shot('version-yanked');
  });

  it('search by name, file digest, signer key and dataset digest', async () => {
    const clean = await registry.admin.json<{ files: { path: string; digest: string }[]; signer: { keyFingerprint: string } }>(
      'GET',
      '/v1/namespaces/acme/models/clean/versions/1.0.0',
    );
    await open('/ui/');
    await page.locator('#search-kind').selectOption('fileDigest');
    await page.locator('#search-q').fill(clean.files[0]?.digest as string);
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-rendered^="/ui/-/search?kind=fileDigest"]');
    await expect(main().locator('tbody tr').allTextContents()).resolves.toEqual([expect.stringMatching(/^acme\/clean1\.0\.0/)]);
    await open(`/ui/-/search?kind=signerKey&q=${clean.signer.keyFingerprint}`);
    await expect(main().locator('tbody a').allTextContents()).resolves.toEqual(['1.0.0']);
    await open(`/ui/-/search?kind=derivedFrom&q=${DATASET_DIGEST}`);
    // Both ML-BOMs name the dataset of that digest.
    expect((await main().locator('tbody a').allTextContents()).sort()).toEqual(['acme/tuned@2.0.0', 'acme/xss@1.0.0']);
    // By a fragment of the dataset's name: each matching dataset with the versions derived from it.
    await open('/ui/-/search?kind=derivedFrom&q=SQU');
    await expect(main().locator('section.derived-target h3').allTextContents()).resolves.toEqual(['dataset squad']);
    await expect(main().locator('section.derived-target tbody a').allTextContents()).resolves.toEqual(['acme/tuned@2.0.0']);
    // A dataset name carrying markup is found, and shown as text.
    await open('/ui/-/search?kind=derivedFrom&q=%3Cscript');
    await expect(main().locator('section.derived-target h3').allTextContents()).resolves.toEqual([`dataset ${XSS.dataset}`]);
    await open('/ui/-/search?kind=name&q=cle');
    await expect(main().locator('tbody a').allTextContents()).resolves.toEqual(['acme/clean']);
  });

  it('a scan finding accepted under a permissive policy: rule, severity, message and the rule documentation', async () => {
    await open('/ui/lab/risky/1.0.0');
    const file = page.getByTestId('scan-file');
    await expect(file.getAttribute('data-verdict')).resolves.toBe('findings');
    const row = await file.locator('tbody tr').first().textContent();
    expect(row).toContain('MS-PKL-001');
    expect(row).toContain('critical');
    expect(row).toContain('os.system');
    await expect(file.getByRole('link', { name: 'CWE-502' }).getAttribute('href')).resolves.toBe(
      'https://cwe.mitre.org/data/definitions/502.html',
    );
    await file.scrollIntoViewIfNeeded();
    await shot('version-finding');
    await open('/ui/lab/opaque/1.0.0');
    const opaque = page.getByTestId('scan-file');
    await expect(opaque.getAttribute('data-verdict')).resolves.toBe('incomplete');
    await expect(opaque.textContent()).resolves.toContain('INCOMPLETE: this file was not fully inspected');
    await open('/ui/lab/risky/1.0.0');
    await file.getByRole('link', { name: 'MS-PKL-001' }).click();
    await page.waitForSelector('main[data-rendered="/ui/-/rules?rule=MS-PKL-001"]');
    await expect(main().locator('h2').textContent()).resolves.toMatch(/^MS-PKL-001: /);
  });

  it('ML-BOM and lineage: datasets, licences, completeness, a download of the exact bytes, the picture', async () => {
    await open('/ui/acme/tuned/2.0.0');
    const bom = page.getByTestId('mlbom');
    await expect(bom.getByTestId('dataset-name').textContent()).resolves.toBe('squad');
    await expect(bom.textContent()).resolves.toContain('Apache-2.0');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByText(/^Download the exact ML-BOM/).click()]);
    const attachments = await registry.admin.json<{ attachments: { kind: string; digest: string }[] }>(
      'GET',
      '/v1/namespaces/acme/models/tuned/versions/2.0.0',
    );
    const mlbom = attachments.attachments.find((a) => a.kind === 'mlbom')?.digest as string;
    const stored = Buffer.from(await (await fetch(`${registry.url}/v1/namespaces/acme/blobs/${mlbom}`)).arrayBuffer());
    expect(readFileSync(await download.path()).equals(stored)).toBe(true);
    // The page's completeness score is the one `modelsec bom score` computes (core's rubric).
    const expected = scoreCycloneDx(stored.toString('utf8'));
    await expect(bom.getByTestId('completeness').textContent()).resolves.toMatch(new RegExp(`^Score ${expected.score} of 100 `));
    const missing = await bom.getByTestId('missing').locator('tbody tr td:first-child').allTextContents();
    expect(missing).toEqual(expected.missing.map((m) => m.id));
    const attestation = (await page.getByTestId('attestations').locator('tbody tr').allTextContents()).join('\n');
    expect(attestation).toContain(ATTESTATION_TYPE);
    expect(attestation).toContain('subject is this version');
    const picture = page.getByTestId('lineage');
    await expect(picture.locator('svg text').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['acme/tuned@2.0.0', 'acme/clean@1.0.0', 'squad']),
    );
    await picture.scrollIntoViewIfNeeded();
    await shot('version-lineage');
    await open('/ui/acme/clean/1.0.0');
    await expect(page.getByTestId('lineage').locator('svg text').allTextContents()).resolves.toContain('acme/tuned@2.0.0');
  });

  it('an XML ML-BOM is rendered for a person too (model card, datasets, dependencies), markup in it shown as text', async () => {
    await open('/ui/acme/xmlbom/1.0.0');
    const bom = page.getByTestId('mlbom');
    await expect(bom.getByTestId('model-card-description').textContent()).resolves.toBe('A model described in <b>XML</b>');
    await expect(bom.getByTestId('dataset-name').textContent()).resolves.toBe('imdb');
    const text = (await bom.textContent()) ?? '';
    for (const fact of [
      'xml-model',
      'text-classification',
      'bert',
      'MIT',
      'torch',
      'pkg:pypi/torch@2.3.1',
      `SHA-256:${'c'.repeat(64)}`,
    ])
      expect(text).toContain(fact);
    await expect(bom.getByTestId('completeness').textContent()).resolves.toContain('XML ML-BOMs are not scored');
    await expect(bom.locator('b').count()).resolves.toBe(0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByText(/^Download the exact ML-BOM \(XML/).click(),
    ]);
    expect(download.suggestedFilename()).toBe('xmlbom-1.0.0.cdx.xml');
    expect(readFileSync(await download.path(), 'utf8')).toBe(XML_BOM);
    // The registry records the format the bytes are in.
    const detail = await registry.admin.json<{ attachments: { kind: string; mediaType: string }[] }>(
      'GET',
      '/v1/namespaces/acme/models/xmlbom/versions/1.0.0',
    );
    expect(detail.attachments.find((a) => a.kind === 'mlbom')?.mediaType).toBe('application/vnd.cyclonedx+xml');
  });

  it('XSS: a model card, a file name and a dataset name with script and markup payloads render as inert text', async () => {
    const consoleMessages: string[] = [];
    page.on('console', (m) => consoleMessages.push(m.text()));
    await open('/ui/acme/xss/1.0.0');
    await page.waitForTimeout(300);
    await expect(page.getByTestId('model-card-description').textContent()).resolves.toBe(XSS.card);
    await expect(page.getByTestId('dataset-name').textContent()).resolves.toBe(XSS.dataset);
    await expect(page.getByTestId('files').textContent()).resolves.toContain(XSS.file);
    await expect(page.getByTestId('mlbom').textContent()).resolves.toContain(XSS.license);
    expect(await page.locator('main img, main script, main iframe').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    await open(`/ui/-/search?kind=name&q=${encodeURIComponent('<img src=x onerror=alert(9)>')}`);
    await expect(page.locator('#search-q').inputValue()).resolves.toBe('<img src=x onerror=alert(9)>');
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleMessages.filter((m) => /alert|card|dataset/.test(m))).toEqual([]);
    await open('/ui/acme/xss/1.0.0');
    await shot('version-xss');
  });

  it('the log proof is checked in the browser: passes honestly, fails visibly on a tampered entry and on a fork', async () => {
    await open('/ui/-/token');
    await page.evaluate('localStorage.clear()');
    await open('/ui/acme/clean/1.0.0');
    await page
      .getByTestId('pin-served')
      .click({ timeout: 15_000 })
      .catch(async (error: unknown) => {
        throw new Error(`no pin button; the proof section reads: ${await page.getByTestId('proof').textContent()}`, {
          cause: error,
        });
      });
    const verdict = page.getByTestId('proof-verdict');
    await expect(verdict.getAttribute('data-verdict')).resolves.toBe('verified');
    await expect(verdict.textContent()).resolves.toContain('Verified in your browser');
    await page.getByTestId('proof').scrollIntoViewIfNeeded();
    await shot('version-proof');
    const { index } = await registry.admin.json<{ index: number }>(
      'GET',
      '/v1/log/lookup?namespace=acme&model=clean&version=1.0.0',
    );

    // A tampered entry: another root digest in the leaf the registry serves.
    await page.route(`**/v1/log/entries/${index}`, async (route) => {
      const res = await route.fetch();
      const body = (await res.text()).replace(registry.roots['acme/clean@1.0.0'] as string, 'e'.repeat(64));
      await route.fulfill({ response: res, body });
    });
    await open('/ui/acme/clean/1.0.0');
    await expect(verdict.getAttribute('data-verdict')).resolves.toBe('failed');
    await expect(verdict.textContent()).resolves.toMatch(/NOT verified: .*do not lead to the signed root/);
    await page.unroute(`**/v1/log/entries/${index}`);

    // A forked checkpoint: same size, another root, signed with the real log key (a compromised or lying registry).
    const signer = parseSignerKey(readFileSync(path.join(registry.dataDir, 'log', 'log-signer.key'), 'utf8'));
    const honest = await (await fetch(`${registry.url}/v1/log/checkpoint`)).text();
    const size = Number(honest.split('\n')[1]);
    const forked = signCheckpoint({ origin: signer.name, size, rootHash: new Uint8Array(32).fill(7), extensions: [] }, signer);
    await page.route('**/v1/log/checkpoint', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: forked }));
    await open('/ui/acme/clean/1.0.0');
    await expect(verdict.getAttribute('data-verdict')).resolves.toBe('failed');
    await expect(verdict.textContent()).resolves.toContain('FORK');
    await page.unroute('**/v1/log/checkpoint');

    // A checkpoint signed by another key: the pinned key stays in force and the change is shouted.
    await page.route('**/v1/log/key', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/plain',
        body: 'modelsec-registry+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n',
      }),
    );
    await open('/ui/-/log');
    await expect(page.getByTestId('key-changed').textContent()).resolves.toContain('ANOTHER log key');
    await page.unroute('**/v1/log/key');

    // Witness cosignatures: shown unchecked until the auditor pins the witness key, then verified in the browser.
    await open('/ui/-/log');
    const cosignatures = page.getByTestId('cosignatures');
    await expect(cosignatures.locator('tbody tr').allTextContents()).resolves.toEqual([
      expect.stringMatching(/^witness\.example\/ui[0-9a-f]{8}.* \(claimed\)not checked: no key pinned for this witness$/),
    ]);
    await page.locator('#witness-key-input').fill(registry.witnessKey);
    await page.getByTestId('pin-witness').click();
    // The page renders again after the click: poll until it has.
    await expect
      .poll(() => cosignatures.locator('tbody tr').allTextContents(), { timeout: 10_000 })
      .toEqual([
        expect.stringMatching(/^witness\.example\/ui[0-9a-f]{8}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTCverified with your pinned key$/),
      ]);
    await expect(page.getByTestId('witness-count').textContent()).resolves.toBe('1 pinned witness cosigned this checkpoint.');
    // The witness's line moved onto a forked checkpoint (same size, another root, the real log key): INVALID.
    const cosigned = await (await fetch(`${registry.url}/v1/log/checkpoint`)).text();
    const witnessLine = cosigned.split('\n').find((l) => l.startsWith('\u2014 witness.example/ui ')) as string;
    await page.route('**/v1/log/checkpoint', (route) =>
      route.fulfill({ status: 200, contentType: 'text/plain', body: `${forked}${witnessLine}\n` }),
    );
    await open('/ui/-/log');
    await expect(cosignatures.locator('tbody tr').allTextContents()).resolves.toEqual([expect.stringContaining('INVALID')]);
    await expect(page.getByTestId('witness-count').textContent()).resolves.toBe('0 pinned witnesses cosigned this checkpoint.');
    await page.unroute('**/v1/log/checkpoint');
    await open('/ui/-/log');
    await expect(page.getByTestId('witness-count').textContent()).resolves.toBe('1 pinned witness cosigned this checkpoint.');
    await shot('log');
    // The witnesses section, verified against the pinned witness key, in a picture of its own (below the fold above).
    await cosignatures.scrollIntoViewIfNeeded();
    await shot('log-witnesses');
  });

  it('audit log with an admin token kept in sessionStorage; keyboard navigation; readable on a phone', async () => {
    await open('/ui/-/audit');
    await expect(main().textContent()).resolves.toMatch(/UNAUTHORIZED|FORBIDDEN|token/i);
    await open('/ui/-/token');
    await page.locator('#token').fill('msk_test-admin-token');
    await page.keyboard.press('Enter');
    expect(await page.evaluate("sessionStorage.getItem('modelsec.token')")).toBe('msk_test-admin-token');
    expect(await page.evaluate("localStorage.getItem('modelsec.token')")).toBeNull();
    // The private namespace appears with the token, and its sealed log entry is opened and verified.
    await open('/ui/');
    await expect(main().locator('table a').allTextContents()).resolves.toEqual(['acme', 'lab', 'vault']);
    await open('/ui/vault/private/1.0.0');
    await expect(page.getByTestId('proof-verdict').getAttribute('data-verdict')).resolves.toBe('verified');
    await expect(page.getByTestId('proof').textContent()).resolves.toContain('sealed entry opened');
    await open('/ui/lab');
    const history = (await main().textContent()) ?? '';
    expect(history).toContain('Policy versions (who changed what, when)');
    expect(history).toContain('"maxSeverity": "critical"');
    await open('/ui/-/audit');
    const audit = (await page.getByTestId('audit').textContent()) ?? '';
    expect(audit).toContain('version.yank');
    expect(audit).toContain('acme/evil@1.0.0');
    expect(page.url()).not.toContain('msk_');
    await shot('audit');

    await open('/ui/');
    // Keyboard only: Tab to the 'lab' link, Enter follows it, focus lands on the new page's heading.
    let focused = '';
    for (let i = 0; i < 20 && focused !== 'lab'; i++) {
      await page.keyboard.press('Tab');
      focused = String(await page.evaluate('document.activeElement && document.activeElement.textContent'));
    }
    expect(focused).toBe('lab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-rendered="/ui/lab"]');
    expect(await page.evaluate('document.activeElement.tagName + " " + document.activeElement.textContent')).toBe('H1 lab');

    await page.setViewportSize({ width: 390, height: 844 });
    await open('/ui/lab/risky/1.0.0');
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
