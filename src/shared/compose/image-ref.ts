// Image references by Docker's grammar (distribution/reference):
//   reference := name [":" tag] ["@" digest]
//   name      := [domain "/"] path-component ["/" path-component]*
//   domain    := host [":" port]       host: domain name, IPv4 or [IPv6]
// The one check for every image name Capstan hands the engine (compose
// `image:`, the pull route): the engine puts the name into a URL path, and a
// name it cannot read (`../`, a leading `/`, NUL) makes it answer with a
// redirect or an error that should have been a 400 here.
import { textProblem } from '../safe-text.js';

const DOMAIN_COMPONENT = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
/** A registry host as the reference grammar spells it, with an optional port (checked for range apart). */
export const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';

const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
export const TAG_RE = /^[\w][\w.-]{0,127}$/;
/** The algorithms the engine knows (go-digest's registered ones), each with its length in hex. */
const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
/** distribution/reference's NameTotalLengthMax. */
export const NAME_MAX = 255;

export interface ImageReference {
  /** The registry host[:port] when the name starts with one (by Docker's rule: it has ".", ":", is "localhost" or has capitals). */
  domain: string | undefined;
  /** The repository path, without the domain. */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

export type ParsedImageReference = { ok: true; ref: ImageReference } | { ok: false; reason: string };

const fail = (reason: string): ParsedImageReference => ({ ok: false, reason });
const FORM = 'use [registry[:port]/]name[:tag][@digest], e.g. "nginx:1.27" or "registry.example.com:5000/team/app"';

/** The first component names a registry only when Docker would read it so (ParseNormalizedNamed). */
function looksLikeDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

function portProblem(domain: string): string | undefined {
  const m = /:(\d+)$/.exec(domain);
  if (m && (Number(m[1]) < 1 || Number(m[1]) > 65535)) return `the registry port ${m[1]} must be between 1 and 65535`;
  return undefined;
}

/** Splits `name` into domain and path by the grammar; the reason when neither reading is valid. */
function parseName(name: string): { domain: string | undefined; path: string } | string {
  if (name === '') return 'the repository name must not be empty';
  if (name.length > NAME_MAX) return `the repository name must be at most ${NAME_MAX} characters`;
  if (name.startsWith('/')) return 'must not start with "/"';
  if (name.includes('..')) return 'must not contain ".."';
  if (name.includes('//') || name.endsWith('/')) return 'must not contain an empty path component';
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const rest = slash < 0 ? name : name.slice(slash + 1);
  if (slash >= 0 && DOMAIN_RE.test(first) && PATH_RE.test(rest) && looksLikeDomain(first)) {
    return portProblem(first) ?? { domain: first, path: rest };
  }
  if (PATH_RE.test(name)) return { domain: undefined, path: name };
  const path = slash >= 0 && DOMAIN_RE.test(first) ? rest : name;
  if (path !== path.toLowerCase() && PATH_RE.test(path.toLowerCase())) return 'the repository name must be lowercase';
  return `is not a valid image name: ${FORM}`;
}

/** Parses a reference as the engine would, or says why it would refuse it. */
export function parseImageReference(s: string): ParsedImageReference {
  const bad = textProblem(s);
  if (bad) return fail(bad);
  if (s === '') return fail('must not be empty');
  if (/\s/.test(s)) return fail('must not contain whitespace');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) return fail(`the digest "${digest}" must be sha256:<64 lowercase hex digits> (or sha384, sha512)`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      return fail(`the tag "${tag}" must be 1 to 128 letters, digits, "_", "." or "-", and not start with "." or "-"`);
    }
  }
  const name = parseName(rest);
  if (typeof name === 'string') return fail(name);
  return { ok: true, ref: { ...name, tag, digest } };
}

/** Why the engine would refuse `s` as an image reference, or undefined. */
export function imageReferenceProblem(s: string): string | undefined {
  const r = parseImageReference(s);
  return r.ok ? undefined : r.reason;
}

export const isValidImageReference = (s: string): boolean => parseImageReference(s).ok;

/** A repository name alone (no tag, no digest): the pull route takes those apart. */
export function imageNameProblem(s: string): string | undefined {
  const r = parseImageReference(s);
  if (!r.ok) return r.reason;
  if (r.ref.tag !== undefined || r.ref.digest !== undefined) return 'must be a name without a tag or digest (the tag goes in "tag")';
  return undefined;
}

/** A tag, or a sha256 digest given in the tag's place (the pull route's `tag`). */
export const isTagOrDigest = (s: string): boolean => TAG_RE.test(s) || /^sha256:[a-f0-9]{64}$/.test(s);
