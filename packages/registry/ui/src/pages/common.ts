/** Small views shared by the pages. */
import type { Signer, VersionSummary } from '../api.js';
import { badge, type Child, code, h } from '../dom.js';

export function when(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.000Z$|Z$/, ' UTC') : '—';
}

export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes / 1024;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${n.toFixed(1)} ${units[u]} (${bytes} B)`;
}

/** One line naming the signer: key fingerprint, certificate subject and issuer, or Sigstore identity and OIDC issuer. */
export function signerText(s: Signer): string {
  if (s.kind === 'key') return `key ${s.keyFingerprint ?? '?'}`;
  if (s.kind === 'certificate')
    return `certificate ${s.identity ?? s.subject ?? '?'}${s.issuer ? ` issued by ${String(s.issuer)}` : ''}`;
  if (s.kind === 'sigstore') return `Sigstore ${s.identity ?? '?'} (OIDC issuer ${s.issuer ?? '?'})`;
  return JSON.stringify(s);
}

export function signerFacts(s: Signer): [string, Child][] {
  const rows: [string, Child][] = [['kind', s.kind ?? '—']];
  for (const [k, v] of Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (k === 'kind') continue;
    const label =
      k === 'keyFingerprint'
        ? 'key fingerprint (sha256 of the public key PEM)'
        : k === 'identity'
          ? s.kind === 'sigstore'
            ? 'Sigstore identity'
            : 'certificate subject'
          : k === 'issuer'
            ? s.kind === 'sigstore'
              ? 'OIDC issuer'
              : 'certificate issuer'
            : k;
    rows.push([label, typeof v === 'string' ? code(v) : JSON.stringify(v)]);
  }
  return rows;
}

export function severityBadge(sev: string | null | undefined): HTMLElement {
  if (!sev) return badge('no findings', 'ok');
  return badge(sev, sev === 'critical' || sev === 'high' ? 'bad' : sev === 'medium' ? 'warn' : 'info');
}

export function scanBadge(v: VersionSummary): HTMLElement {
  if (v.scan.status === 'not-scanned') return badge('not scanned', 'warn');
  if ((v.scan.incomplete ?? 0) > 0) return badge(`${v.scan.incomplete} incomplete`, 'warn');
  return severityBadge(v.scan.maxSeverity ?? null);
}

export function yankedBadge(v: VersionSummary): HTMLElement | null {
  return v.yanked ? badge('yanked', 'bad') : null;
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { 'aria-label': title }, h('h2', {}, title), ...children);
}

export function errorText(error: unknown): HTMLElement {
  const e = error as { code?: string; message?: string };
  return h('p', { class: 'error', role: 'alert' }, e.code ? `${e.code}: ${e.message ?? ''}` : String(e.message ?? error));
}
