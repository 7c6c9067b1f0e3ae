import { ModelsecError } from '../errors/index.js';

/** A Hugging Face Hub model reference, `hf://ORG/NAME[@REVISION]`. */
export interface HubReference {
  /** `ORG/NAME` */
  repo: string;
  /** Branch, tag or commit SHA; undefined means the default branch. */
  revision?: string;
}

/** Repo ids: the Hub allows letters, digits, '-', '_', '.' in each part (no '..', no leading/trailing '.'/'-'). */
const REPO_PART = /^(?![.-])(?!.*\.\.)[A-Za-z0-9._-]{1,96}(?<![.-])$/;
/** Revisions: branch or tag names or SHAs; refuse anything that could act as a path or URL component trick. */
const REVISION = /^(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

export function isHubReference(value: string): boolean {
  return value.startsWith('hf://');
}

/** Parses `hf://ORG/NAME[@REV]`, throwing USAGE with the reason for anything else. */
export function parseHubReference(value: string): HubReference {
  if (!isHubReference(value)) throw new ModelsecError('USAGE', `not an hf:// reference: ${value}`, { details: { value } });
  const body = value.slice('hf://'.length);
  const at = body.indexOf('@');
  const repo = at === -1 ? body : body.slice(0, at);
  const revision = at === -1 ? undefined : body.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => REPO_PART.test(p))) {
    throw new ModelsecError('USAGE', `hf:// reference must be hf://ORG/NAME[@REVISION], got '${value}'`, { details: { value } });
  }
  if (revision !== undefined && !REVISION.test(revision)) {
    throw new ModelsecError('USAGE', `invalid revision in '${value}'`, { details: { value, revision } });
  }
  return revision === undefined ? { repo } : { repo, revision };
}

/** The Hub endpoint: HF_ENDPOINT when set (e.g. a mirror or a test server), else huggingface.co. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
}
