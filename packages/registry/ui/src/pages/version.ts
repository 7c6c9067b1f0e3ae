/** A version: what was published, by whom, signed by whom, what the scan found, its ML-BOM, lineage and log proof. */
import { enc, type Finding, getBytes, getJson, type ScanReport, type VersionDetail } from '../api.js';
import { badge, type Child, code, externalLink, facts, h, link, table } from '../dom.js';
import { hrefOf } from '../routes.js';
import { errorText, scanBadge, section, severityBadge, signerFacts, size, when } from './common.js';
import { lineageSection } from './lineage.js';
import { proofSection } from './log.js';
import { mlbomSection } from './mlbom.js';

function findingRows(findings: Finding[]): Child[][] {
  return findings.map((f) => [
    h('span', {}, link(hrefOf({ page: 'rules', rule: f.ruleId }), f.ruleId)),
    severityBadge(f.severity),
    f.message,
    h(
      'span',
      {},
      (f.references ?? []).map((r, i) => [i > 0 ? ', ' : '', externalLink(r.url, r.id)]),
    ),
    f.suppressed ? `suppressed: ${f.suppressed.reason}` : f.incomplete ? 'content not fully inspected' : 'active',
  ]);
}

async function scanSection(v: VersionDetail): Promise<HTMLElement> {
  const scan = v.scan;
  const head = facts([
    ['status', scan.status === 'scanned' ? 'scanned at push by the registry' : 'NOT scanned (the policy allowed it)'],
    ['scanner', scan.scanner ?? '—'],
    ['verdict', scanBadge(v)],
    ['findings', String(scan.findings ?? 0)],
    ['incomplete files', String(scan.incomplete ?? 0)],
  ]);
  const reportRef = v.attachments.find((a) => a.kind === 'registry-scan');
  let report: ScanReport | undefined;
  let reportError: HTMLElement | undefined;
  if (reportRef) {
    try {
      report = await getJson<ScanReport>(`/v1/namespaces/${enc(v.namespace)}/blobs/${enc(reportRef.digest)}`);
    } catch (error) {
      reportError = errorText(error);
    }
  }
  const perFile = (scan.files ?? []).map((f) => {
    const full = report?.files.find((r) => r.path === f.path);
    const verdict =
      f.verdict === 'incomplete'
        ? h(
            'strong',
            { class: 'incomplete' },
            'INCOMPLETE: this file was not fully inspected; nothing is known about what it does',
          )
        : f.verdict === 'findings'
          ? badge('findings', 'bad')
          : badge('clean', 'ok');
    return h(
      'div',
      { class: 'scan-file', 'data-testid': 'scan-file', 'data-verdict': f.verdict },
      h('h3', {}, code(f.path), ' ', verdict),
      full && full.findings.length > 0
        ? table(`Findings in ${f.path}`, ['rule', 'severity', 'message', 'references', 'state'], findingRows(full.findings))
        : f.rules.length > 0
          ? h('p', {}, 'Rules: ', f.rules.join(', '))
          : null,
      full && full.errors.length > 0
        ? h(
            'ul',
            {},
            full.errors.map((e) => h('li', {}, `${e.code}: ${e.message}`)),
          )
        : null,
    );
  });
  return section('Scan verdict at push', head, reportError ?? null, ...perFile);
}

function attestationsSection(v: VersionDetail): HTMLElement {
  const atts = v.attachments.filter((a) => a.kind === 'attestation');
  return section(
    'Attestations',
    atts.length === 0
      ? h('p', {}, 'No attestation was pushed with this version.')
      : table(
          'Attestations (signature, signer and subject verified by the registry at push)',
          ['predicate type', 'digest', 'signer', 'subject'],
          atts.map((a) => [
            a.predicateType ?? '—',
            code(a.digest),
            'verified at push against the namespace policy',
            `matches ${v.rootDigest.slice(0, 16)}…`,
          ]),
        ),
  );
}

export async function versionPage(ns: string, model: string, version: string) {
  const v = await getJson<VersionDetail>(`/v1/namespaces/${enc(ns)}/models/${enc(model)}/versions/${enc(version)}`);
  const bundle = v.attachments.find((a) => a.kind === 'bundle');
  const body = h(
    'div',
    {},
    h(
      'p',
      { class: 'crumbs' },
      link('/ui/', 'Namespaces'),
      ' / ',
      link(hrefOf({ page: 'namespace', ns }), ns),
      ' / ',
      link(hrefOf({ page: 'model', ns, model }), model),
      ' / ',
      version,
    ),
    v.yanked
      ? h(
          'p',
          { class: 'yanked', role: 'alert', 'data-testid': 'yanked' },
          `YANKED on ${when(v.yankedAt)}: ${v.yankReason ?? 'no reason given'}. Do not deploy this version.`,
        )
      : h('p', { class: 'not-yanked', 'data-testid': 'yanked' }, 'Not yanked.'),
    section(
      'Publication',
      facts([
        ['published', when(v.publishedAt)],
        ['published by (token owner)', code(v.publishedBy)],
        ['signed at', when(v.signedAt)],
        ['model root digest (OMS)', code(v.rootDigest)],
        ['signature bundle sha256', code(v.bundleDigest)],
        ['status', v.yanked ? badge('yanked', 'bad') : badge('available', 'ok')],
      ]),
    ),
    section(
      'Signer',
      facts(signerFacts(v.signer)),
      v.publicKey ? h('details', {}, h('summary', {}, 'Public key given at push'), h('pre', {}, v.publicKey)) : null,
      bundle ? h('p', {}, 'Signature bundle: ', code(bundle.mediaType ?? ''), ' ', code(bundle.digest)) : null,
    ),
    section(
      'Files',
      table(
        `${v.files.length} files`,
        ['path', 'size', 'sha256'],
        v.files.map((f) => [code(f.path), size(f.size), code(f.digest)]),
        { 'data-testid': 'files' },
      ),
    ),
    await scanSection(v),
    await mlbomSection(v, getBytes),
    attestationsSection(v),
    await lineageSection(v).catch((error: unknown) => section('Lineage', errorText(error))),
    proofSection(v),
  );
  return { title: `${ns}/${model}@${version}`, body };
}
