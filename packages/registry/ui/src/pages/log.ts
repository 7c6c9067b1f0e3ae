/** The transparency log: the pinned key, the latest checkpoint, and the in-browser proof of a version's entry. */
import { getBytes, getJson, getText, type VersionDetail } from '../api.js';
import { badge, code, facts, h, link, table } from '../dom.js';
import { forgetWitness, judgeCosignatures, pinnedWitnesses, pinWitness } from '../log/cosignature.js';
import { keyFingerprint, type LogKey, parseLogKey } from '../log/note.js';
import {
  forgetKey,
  type LogApi,
  pinKey,
  pinnedKey,
  type Step,
  verifyLatestCheckpoint,
  verifyVersionInLog,
} from '../log/verify.js';
import { errorText, section, when } from './common.js';

const api: LogApi = { text: getText, bytes: getBytes, json: getJson };

function stepList(steps: Step[]): HTMLElement {
  return h(
    'ol',
    { class: 'steps' },
    steps.map((s) => h('li', { class: s.ok ? 'ok' : 'bad' }, s.ok ? '✔ ' : '✘ ', h('strong', {}, s.name), ': ', s.detail)),
  );
}

/** The pinned key, compared with the one the registry serves now (a loud warning when they differ). */
async function keyPanel(onChange: () => void): Promise<HTMLElement> {
  const pinned = await pinnedKey(localStorage).catch(() => undefined);
  let served: LogKey | undefined;
  let servedError: unknown;
  try {
    served = await parseLogKey(await getText('/v1/log/key'));
  } catch (error) {
    servedError = error;
  }
  const panel = h('div', { class: 'key-panel', 'data-testid': 'key-panel' });
  if (pinned) {
    panel.append(
      facts([
        ['pinned log key', code(pinned.text)],
        ['fingerprint', code(await keyFingerprint(pinned))],
      ]),
    );
    if (!served || served.text !== pinned.text) {
      const what = served
        ? `ANOTHER log key (${served.text}, fingerprint ${await keyFingerprint(served)})`
        : `ANOTHER log key, and not a valid one (${servedError instanceof Error ? servedError.message : String(servedError)})`;
      panel.append(
        h(
          'p',
          { class: 'alarm', role: 'alert', 'data-testid': 'key-changed' },
          `WARNING: the registry now serves ${what}. Every proof is still checked against the key you pinned. ` +
            'Find out why before you pin another one.',
        ),
      );
    }
  } else {
    panel.append(h('p', { class: 'warn' }, 'No log key is pinned in this browser: proofs cannot be checked until you pin one. '));
    if (served) {
      const pin = h('button', { type: 'button', 'data-testid': 'pin-served' }, 'Pin the key the registry serves');
      pin.addEventListener('click', async () => {
        await pinKey(localStorage, served.text);
        onChange();
      });
      panel.append(
        facts([
          ['key served by the registry', code(served.text)],
          ['fingerprint', code(await keyFingerprint(served))],
        ]),
        h('p', {}, 'Compare the fingerprint with the one your registry operator published, then pin it (trust on first use).'),
        pin,
      );
    } else if (servedError) panel.append(errorText(servedError));
  }
  const input = h('input', {
    id: 'log-key-input',
    type: 'text',
    spellcheck: false,
    autocomplete: 'off',
    placeholder: 'name+hexid+base64key',
  });
  const pinGiven = h('button', { type: 'button' }, 'Pin this key');
  const result = h('p', { role: 'status' });
  pinGiven.addEventListener('click', async () => {
    try {
      await pinKey(localStorage, input.value);
      onChange();
    } catch (error) {
      result.replaceChildren(errorText(error));
    }
  });
  const forget = h('button', { type: 'button' }, 'Forget the pinned key');
  forget.addEventListener('click', () => {
    forgetKey(localStorage);
    onChange();
  });
  panel.append(h('label', { for: 'log-key-input' }, 'Pin a log key you got from the operator: '), input, pinGiven, result);
  if (pinned) panel.append(forget);
  return panel;
}

export function proofSection(v: VersionDetail): HTMLElement {
  const out = h('div', { 'data-testid': 'proof' });
  const run = async () => {
    out.replaceChildren(h('p', { role: 'status' }, 'Checking…'));
    const panel = await keyPanel(() => void run());
    const key = await pinnedKey(localStorage).catch(() => undefined);
    if (!key) {
      out.replaceChildren(panel);
      return;
    }
    const report = await verifyVersionInLog(api, localStorage, key, v);
    const verdict = report.ok
      ? h(
          'p',
          { class: 'verified', role: 'status', 'data-testid': 'proof-verdict', 'data-verdict': 'verified' },
          '✔ Verified in your browser: this version is in the log, as shown on this page.',
        )
      : h(
          'p',
          { class: 'alarm', role: 'alert', 'data-testid': 'proof-verdict', 'data-verdict': 'failed' },
          '✘ NOT verified: ',
          report.steps.find((s) => !s.ok)?.detail ?? 'a step failed',
        );
    const again = h('button', { type: 'button' }, 'Check again');
    again.addEventListener('click', () => void run());
    out.replaceChildren(
      verdict,
      stepList(report.steps),
      h(
        'details',
        {},
        h('summary', {}, `Log entry ${report.index ?? ''}`),
        h('pre', { class: 'json' }, JSON.stringify(report.entry ?? null, null, 2)),
      ),
      again,
      h('details', {}, h('summary', {}, 'Log key'), panel),
    );
  };
  void run();
  return section('Transparency log', out);
}

const cosignedAt = (seconds: number) => when(new Date(seconds * 1000).toISOString());

/**
 * The witness cosignatures on the latest checkpoint: each verified here against the witness keys the auditor
 * pinned, or shown as unpinned (its claimed time is the witness's word, not checked). A fork that a pinned witness
 * did not see has no valid cosignature by it.
 */
async function witnessSection(raw: string, logKey: LogKey | undefined, onChange: () => void): Promise<HTMLElement> {
  const pinned = await pinnedWitnesses(localStorage);
  const out = h('div', { 'data-testid': 'witnesses' });
  try {
    const { rows, verifiedWitnesses } = await judgeCosignatures(raw, logKey, pinned);
    out.append(
      rows.length === 0
        ? h('p', {}, 'No witness has cosigned this checkpoint.')
        : table(
            'Witness cosignatures',
            ['witness', 'key id', 'cosigned at', 'checked'],
            rows.map((r) => [
              r.name,
              code(r.keyIdHex),
              r.status.state === 'verified'
                ? cosignedAt(r.status.timestamp)
                : r.status.state === 'unpinned' && r.status.timestamp !== undefined
                  ? `${cosignedAt(r.status.timestamp)} (claimed)`
                  : '—',
              r.status.state === 'verified'
                ? badge('verified with your pinned key', 'ok')
                : r.status.state === 'invalid'
                  ? badge(`INVALID: ${r.status.detail}`, 'bad')
                  : badge('not checked: no key pinned for this witness', 'warn'),
            ]),
            { 'data-testid': 'cosignatures' },
          ),
      h(
        'p',
        { 'data-testid': 'witness-count' },
        `${verifiedWitnesses} pinned witness${verifiedWitnesses === 1 ? '' : 'es'} cosigned this checkpoint.`,
      ),
    );
  } catch (error) {
    out.append(errorText(error));
  }
  const input = h('input', {
    id: 'witness-key-input',
    type: 'text',
    spellcheck: false,
    autocomplete: 'off',
    placeholder: 'name+hexid+base64key',
  });
  const pin = h('button', { type: 'button', 'data-testid': 'pin-witness' }, 'Pin this witness key');
  const result = h('p', { role: 'status' });
  pin.addEventListener('click', async () => {
    try {
      await pinWitness(localStorage, input.value);
      onChange();
    } catch (error) {
      result.replaceChildren(errorText(error));
    }
  });
  out.append(
    h('label', { for: 'witness-key-input' }, 'Pin a witness key you got from the witness operator: '),
    input,
    pin,
    result,
  );
  if (pinned.length > 0)
    out.append(
      h(
        'ul',
        { class: 'pinned-witnesses' },
        pinned.map((k) => {
          const forget = h('button', { type: 'button' }, 'Forget');
          forget.addEventListener('click', async () => {
            await forgetWitness(localStorage, k.text);
            onChange();
          });
          return h('li', {}, code(k.text), ' ', forget);
        }),
      ),
    );
  return out;
}

export async function logPage() {
  const out = h('div', {});
  const run = async () => {
    const panel = await keyPanel(() => void run());
    const key = await pinnedKey(localStorage).catch(() => undefined);
    const raw = await getText('/v1/log/checkpoint').catch((e: unknown) => e);
    const steps: Step[] = [];
    const checkpoint = key ? await verifyLatestCheckpoint(api, localStorage, key, steps) : undefined;
    out.replaceChildren(
      section('Log key', panel),
      section(
        'Latest checkpoint',
        typeof raw === 'string' ? h('pre', { 'data-testid': 'checkpoint' }, raw) : errorText(raw),
        key ? stepList(steps) : h('p', {}, 'Pin a log key to check it.'),
        checkpoint ? badge(`verified: ${checkpoint.size} entries`, 'ok') : null,
      ),
      typeof raw === 'string' ? section('Witnesses', await witnessSection(raw, key, () => void run())) : '',
      h('p', {}, 'Each version page checks its own entry against this checkpoint. ', link('/ui/', 'Browse the namespaces')),
    );
  };
  await run();
  return { title: 'Transparency log', body: out };
}
