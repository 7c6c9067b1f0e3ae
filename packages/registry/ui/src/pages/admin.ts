/** The token box (sessionStorage only) and the audit log (admin tokens). */
import { enc, getJson, getToken, setToken } from '../api.js';
import { code, h, link, table } from '../dom.js';
import { when } from './common.js';

export function tokenPage() {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: false, placeholder: 'msk_…' });
  const status = h(
    'p',
    { role: 'status' },
    getToken() ? 'A token is set for this tab.' : 'No token: you see public namespaces only.',
  );
  const save = h('button', { type: 'submit' }, 'Use this token');
  const clear = h('button', { type: 'button' }, 'Forget the token');
  const form = h('form', { 'aria-label': 'Registry token' }, h('label', { for: 'token' }, 'Registry token'), input, save, clear);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(input.value.trim() || undefined);
    input.value = '';
    status.textContent = getToken() ? 'Token set for this tab (sessionStorage; never in an address).' : 'No token.';
  });
  clear.addEventListener('click', () => {
    setToken(undefined);
    status.textContent = 'Token forgotten.';
  });
  return {
    title: 'Token',
    body: h(
      'div',
      {},
      h(
        'p',
        {},
        'Private namespaces and the audit log need a token. It is kept in this tab only (sessionStorage) and sent as an Authorization header.',
      ),
      form,
      status,
      h('p', {}, link('/ui/', 'Back to the namespaces')),
    ),
  };
}

/** Rows of the audit log shown (the API's limit parameter takes at most 3 digits). */
export const AUDIT_ROWS = 500;

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  from: string;
  details: unknown;
}

export async function auditPage(namespace?: string) {
  const { entries } = await getJson<{ entries: AuditEntry[] }>(
    `/v1/audit?limit=${AUDIT_ROWS}${namespace ? `&namespace=${enc(namespace)}` : ''}`,
  );
  return {
    title: namespace ? `Audit log of ${namespace}` : 'Audit log',
    body: table(
      'Newest first',
      ['#', 'when', 'actor', 'action', 'target', 'outcome', 'from', 'details'],
      entries.map((e) => [
        String(e.id),
        when(e.at),
        code(e.actor),
        e.action,
        code(e.target),
        e.outcome,
        e.from,
        code(JSON.stringify(e.details)),
      ]),
      { 'data-testid': 'audit' },
    ),
  };
}
