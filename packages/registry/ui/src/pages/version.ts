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

interface AttestationView {
  predicateType: string;
  subjects: { name: string; sha256: string; rootDigest: string }[];
  signer: string;
}

/** The in-toto subject annotation naming the OMS root digest (core signing/manifest.ts OMS_ROOT_DIGEST_ANNOTATION). */
const OMS_ROOT_DIGEST_ANNOTATION = 'https://modelsec.dev/oms/root-digest';

/** Reads an attestation bundle (DSSE envelope of an in-toto statement) for display; the registry verified it. */
export function readAttestation(bytes: Uint8Array): AttestationView {
  const bundle = JSON.parse(new TextDecoder().decode(bytes)) as {
    dsseEnvelope?: { payload?: string };
    verificationMaterial?: { publicKey?: { hint?: string }; certificate?: unknown; x509CertificateChain?: unknown };
  };
  const payload = bundle.dsseEnvelope?.payload ?? '';
  const statement = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0)))) as {
    predicateType?: unknown;
    subject?: { name?: unknown; digest?: { sha256?: unknown }; annotations?: Record<string, unknown> }[];
  };
  const vm = bundle.verificationMaterial ?? {};
  return {
    predicateType: String(statement.predicateType ?? ''),
    subjects: (statement.subject ?? []).map((s) => ({
      name: String(s.name ?? ''),
      sha256: String(s.digest?.sha256 ?? ''),
      rootDigest: String(s.annotations?.[OMS_ROOT_DIGEST_ANNOTATION] ?? ''),
    })),
    signer: vm.publicKey?.hint
      ? `key ${vm.publicKey.hint}`
      : vm.certificate || vm.x509CertificateChain
        ? 'certificate (see the bundle)'
        : 'unknown',
  };
}

async function attestationsSection(v: VersionDetail): Promise<HTMLElement> {
  const atts = v.attachments.filter((a) => a.kind === 'attestation');
  if (atts.length === 0) return section('Attestations', h('p', {}, 'No attestation was pushed with this version.'));
  const rows: Child[][] = [];
  for (const a of atts) {
    try {
      const view = readAttestation(await getBytes(`/v1/namespaces/${enc(v.namespace)}/blobs/${enc(a.digest)}`));
      // One subject, the signed file set: its digest is the OMS manifest's (checked by the registry at push and by
      // check), annotated with the root digest this page compares with the version's.
      const match = view.subjects.length === 1 && view.subjects[0]?.rootDigest === v.rootDigest;
      rows.push([
        a.predicateType ?? view.predicateType,
        code(view.signer),
        match ? badge('subject is this version', 'ok') : badge('subject does NOT match this version', 'bad'),
        code(a.digest),
      ]);
    } catch (error) {
      rows.push([a.predicateType ?? '—', errorText(error), '—', code(a.digest)]);
    }
  }
  return section(
    'Attestations',
    table(
      'Attestations (signature verified by the registry at push)',
      ['predicate type', 'signer', 'subject', 'bundle sha256'],
      rows,
      {
        'data-testid': 'attestations',
      },
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
        ['scan verdict at push', scanBadge(v)],
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
    await attestationsSection(v),
    await lineageSection(v).catch((error: unknown) => section('Lineage', errorText(error))),
    proofSection(v),
  );
  return { title: `${ns}/${model}@${version}`, body };
}
