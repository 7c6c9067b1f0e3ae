import * as SPDX from '@cyclonedx/cyclonedx-library/SPDX';

/** Hugging Face license slugs that are not SPDX ids but name one. */
const HF_LICENSE_ALIASES: Record<string, string> = {
  'gpl-3.0': 'GPL-3.0-only',
  'gpl-2.0': 'GPL-2.0-only',
  'lgpl-3.0': 'LGPL-3.0-only',
  'lgpl-2.1': 'LGPL-2.1-only',
  'agpl-3.0': 'AGPL-3.0-only',
  gpl: 'GPL-3.0-or-later',
  'bsd-3-clause-clear': 'BSD-3-Clause-Clear',
};

/** A license for a BOM: an SPDX id when the slug normalises to one, else its name. */
export type NormalisedLicense = { id: string } | { name: string };

/** `apache-2.0` -> `{id: 'Apache-2.0'}`; `llama2` -> `{name: 'llama2'}`. */
export function normaliseLicense(slug: string): NormalisedLicense {
  const trimmed = slug.trim();
  const alias = HF_LICENSE_ALIASES[trimmed.toLowerCase()];
  if (alias && SPDX.isSupportedSpdxId(alias)) return { id: alias };
  const fixed = SPDX.fixupSpdxId(trimmed);
  return fixed ? { id: fixed } : { name: trimmed };
}
