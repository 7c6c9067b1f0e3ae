/**
 * Builds X.509 certificates for tests with pkijs (P-256 keys, SHA-256): any validity window, basic constraints with
 * or without a path length, key usage bits, extended key usage, extra (critical) extensions. Each certificate comes
 * with its private key so it can sign the next one or a model.
 */
import { webcrypto, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

type CryptoKey = webcrypto.CryptoKey;

const crypto = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] });

export interface Issued {
  cert: X509Certificate;
  pem: string;
  /** PKCS#8 PEM of the certificate's private key. */
  keyPem: string;
  privateKey: CryptoKey;
  name: string;
}

export interface CertSpec {
  /** Common name of the subject. */
  name: string;
  /** Issuer; absent: self-signed. */
  issuer?: Issued;
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints (critical): absent → no extension. */
  ca?: { isCA: boolean; pathLen?: number };
  /** keyUsage bit names (critical); absent → no extension. */
  keyUsage?: ('digitalSignature' | 'keyCertSign' | 'cRLSign')[];
  /** Extended key usage OIDs; absent → none. */
  eku?: string[];
  /** Extra extensions, e.g. an unknown critical one. */
  extra?: { oid: string; critical: boolean; der: Uint8Array }[];
}

const KU_BITS = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

function nameOf(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })],
  });
}

let serial = 1;

export async function issue(spec: CertSpec): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: serial++ });
  cert.subject = nameOf(spec.name);
  cert.issuer = nameOf(spec.issuer?.name ?? spec.name);
  cert.notBefore.value = spec.notBefore ?? new Date('2020-01-01T00:00:00Z');
  cert.notAfter.value = spec.notAfter ?? new Date('2040-01-01T00:00:00Z');
  const extensions: pkijs.Extension[] = [];
  if (spec.ca)
    extensions.push(
      new pkijs.Extension({
        extnID: '2.5.29.19',
        critical: true,
        extnValue: new pkijs.BasicConstraints({
          cA: spec.ca.isCA,
          ...(spec.ca.pathLen !== undefined ? { pathLenConstraint: spec.ca.pathLen } : {}),
        })
          .toSchema()
          .toBER(false),
      }),
    );
  if (spec.keyUsage) {
    let bits = 0;
    for (const u of spec.keyUsage) bits |= 0x8000 >> KU_BITS[u];
    const bytes = new Uint8Array([bits >> 8, bits & 0xff]);
    const used = bytes[1] === 0 ? bytes.subarray(0, 1) : bytes;
    let unused = 0;
    const last = used[used.length - 1] as number;
    while (unused < 8 && !(last & (1 << unused))) unused++;
    extensions.push(
      new pkijs.Extension({
        extnID: '2.5.29.15',
        critical: true,
        extnValue: new asn1js.BitString({ valueHex: used, unusedBits: unused }).toBER(false),
      }),
    );
  }
  if (spec.eku)
    extensions.push(
      new pkijs.Extension({
        extnID: '2.5.29.37',
        critical: false,
        extnValue: new pkijs.ExtKeyUsage({ keyPurposes: spec.eku }).toSchema().toBER(false),
      }),
    );
  for (const e of spec.extra ?? [])
    extensions.push(
      new pkijs.Extension({
        extnID: e.oid,
        critical: e.critical,
        extnValue: e.der.buffer.slice(e.der.byteOffset, e.der.byteOffset + e.der.byteLength) as ArrayBuffer,
      }),
    );
  if (extensions.length) cert.extensions = extensions;
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, crypto);
  await cert.sign(spec.issuer?.privateKey ?? keys.privateKey, 'SHA-256', crypto);
  const der = Buffer.from(cert.toSchema(true).toBER(false));
  const x509 = new X509Certificate(der);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { cert: x509, pem: x509.toString(), keyPem, privateKey: keys.privateKey, name: spec.name };
}

export const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** A conventional root → intermediate → code-signing leaf, with overrides per certificate. */
export async function chain(
  overrides: { root?: Partial<CertSpec>; intermediate?: Partial<CertSpec>; leaf?: Partial<CertSpec> } = {},
): Promise<{ root: Issued; intermediate: Issued; leaf: Issued }> {
  const root = await issue({ name: 'test-root', ca: { isCA: true }, keyUsage: ['keyCertSign', 'cRLSign'], ...overrides.root });
  const intermediate = await issue({
    name: 'test-intermediate',
    issuer: root,
    ca: { isCA: true, pathLen: 0 },
    keyUsage: ['keyCertSign', 'cRLSign'],
    ...overrides.intermediate,
  });
  const leaf = await issue({
    name: 'test-signer',
    issuer: intermediate,
    ca: { isCA: false },
    keyUsage: ['digitalSignature'],
    eku: [CODE_SIGNING],
    ...overrides.leaf,
  });
  return { root, intermediate, leaf };
}
