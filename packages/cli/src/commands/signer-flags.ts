/** The flags of each signing method (sign, attest; `--attest` of scan and bom declares its own, all optional). */
import type { Command } from 'commander';
import { collect } from '../command-kit.js';

export interface SignerFlags {
  privateKey?: string;
  password?: string;
  signingCertificate?: string;
  certificateChain?: string[];
  identityToken?: string;
  useStaging?: boolean;
  trustConfig?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  tsaUrl?: string;
}

/** Adds the flags of one signing method. */
export function addSignerFlags(command: Command, method: 'key' | 'certificate' | 'sigstore'): Command {
  if (method === 'key' || method === 'certificate') {
    command
      .requiredOption('--private-key <PEM>', 'PKCS#8 PEM private key (P-256, P-384 or P-521)')
      .option('--password <PASSWORD>', 'password of an encrypted private key (or env MODELSEC_KEY_PASSWORD)');
  }
  if (method === 'certificate') {
    command
      .requiredOption('--signing-certificate <PEM>', 'the signing (leaf) certificate; it must carry the code-signing EKU')
      .option('--certificate-chain <PEM>', 'intermediate certificates to include; repeatable', collect);
  }
  if (method === 'sigstore') {
    command
      .option('--identity-token <TOKEN>', 'OIDC identity token (else SIGSTORE_ID_TOKEN, else GitHub Actions OIDC)')
      .option('--use-staging', 'use the Sigstore staging instance')
      .option('--trust-config <FILE>', 'Sigstore ClientTrustConfig JSON naming a private Fulcio/Rekor/TSA')
      .option('--fulcio-url <URL>', 'Fulcio URL (private Sigstore)')
      .option('--rekor-url <URL>', 'Rekor URL (private Sigstore)')
      .option('--tsa-url <URL>', 'RFC 3161 timestamp authority URL (adds a signed timestamp)');
  }
  return command;
}
