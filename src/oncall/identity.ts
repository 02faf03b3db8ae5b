// Who is calling an on-call endpoint. With App Service Authentication (Easy Auth) in front of
// the app, App Service injects (and strips from outside requests) the headers
// x-ms-client-principal-name and x-ms-client-principal: base64 JSON
// {auth_typ, claims: [{typ, val}], name_typ, role_typ} ("Work with user identities in Azure
// App Service authentication"). Entra ID app roles arrive as claims of type role_typ or "roles".
//
// RUNBOOKS_AUTH=function-key (default): the function key admits the caller; the identity is the
// Easy Auth principal when present, else the request's `approver` / `requestedBy` field (whoever
// holds a function key could claim any name, so this mode records identities, it does not prove
// them). RUNBOOKS_AUTH=easy-auth: a principal is required (401 without), and approvals need the
// approver app role (403 without).

export interface Principal {
  name: string;
  roles: string[];
  idp: string | undefined;
}

export interface Headers {
  get(name: string): string | null;
}

interface ClientPrincipal {
  auth_typ?: string;
  claims?: Array<{ typ?: unknown; val?: unknown }>;
  name_typ?: string;
  role_typ?: string;
}

const ROLE_TYPES = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const NAME_TYPES = ['preferred_username', 'upn', 'email', 'name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'];

/** The Easy Auth principal, or null when the request carries none (or an undecodable one). */
export function principalOf(headers: Headers): Principal | null {
  const encoded = headers.get('x-ms-client-principal');
  const nameHeader = headers.get('x-ms-client-principal-name')?.trim() || undefined;
  const idp = headers.get('x-ms-client-principal-idp') ?? undefined;
  if (!encoded) return nameHeader ? { name: nameHeader, roles: [], idp } : null;
  let p: ClientPrincipal;
  try {
    p = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    return null;
  }
  const claims = Array.isArray(p.claims) ? p.claims.filter((c): c is { typ: string; val: string } => typeof c?.typ === 'string' && typeof c.val === 'string') : [];
  const roleTypes = new Set([...ROLE_TYPES, ...(p.role_typ ? [p.role_typ] : [])]);
  const roles = [...new Set(claims.filter((c) => roleTypes.has(c.typ)).map((c) => c.val))];
  const nameTypes = [...(p.name_typ ? [p.name_typ] : []), ...NAME_TYPES];
  const fromClaims = nameTypes.map((t) => claims.find((c) => c.typ === t)?.val).find((v) => v !== undefined && v !== '');
  const name = nameHeader ?? fromClaims;
  if (!name) return null;
  return { name: name.slice(0, 256), roles, idp };
}

export type IdentityResult = { ok: true; by: string; via: 'easy-auth' | 'field' } | { ok: false; status: 401 | 403; error: string; parameter?: string };

const NAME = /^[\p{L}\p{N}._@+\- ']{1,256}$/u;

/**
 * The identity of an approver (approve, reject, cancel): the Easy Auth principal with the
 * approver role, or in function-key mode without a principal, the body field `field`.
 */
export function approverIdentity(headers: Headers, body: Record<string, unknown>, mode: 'function-key' | 'easy-auth', role: string, field = 'approver'): IdentityResult {
  const p = principalOf(headers);
  if (p) {
    if (!p.roles.includes(role)) return { ok: false, status: 403, error: `${p.name} lacks the app role "${role}" needed to approve, reject or cancel runs. Fix: assign the role to the user in the app registration (docs/runbooks/README.md, authorization)` };
    return { ok: true, by: p.name, via: 'easy-auth' };
  }
  if (mode === 'easy-auth') return { ok: false, status: 401, error: 'no Easy Auth principal on the request: sign in (App Service Authentication must be enabled for this app)' };
  const v = body[field];
  if (typeof v !== 'string' || v.trim() === '') {
    return { ok: false, status: 401, error: `${field}: required when the request carries no Easy Auth principal (x-ms-client-principal). Fix: add "${field}": "you@example.com"`, parameter: field };
  }
  if (!NAME.test(v.trim())) return { ok: false, status: 401, error: `${field}: not a name or e-mail address`, parameter: field };
  return { ok: true, by: v.trim(), via: 'field' };
}

/** The identity of whoever starts a run: the principal, or (function-key mode) the body field `requestedBy`. */
export function requesterIdentity(headers: Headers, body: Record<string, unknown>, mode: 'function-key' | 'easy-auth'): IdentityResult {
  const p = principalOf(headers);
  if (p) return { ok: true, by: p.name, via: 'easy-auth' };
  if (mode === 'easy-auth') return { ok: false, status: 401, error: 'no Easy Auth principal on the request: sign in (App Service Authentication must be enabled for this app)' };
  const v = body['requestedBy'];
  if (typeof v !== 'string' || v.trim() === '') {
    return { ok: false, status: 401, error: 'requestedBy: required when the request carries no Easy Auth principal. Fix: add "requestedBy": "you@example.com" (the CLI sends $USER)', parameter: 'requestedBy' };
  }
  if (!NAME.test(v.trim())) return { ok: false, status: 401, error: 'requestedBy: not a name or e-mail address', parameter: 'requestedBy' };
  return { ok: true, by: v.trim(), via: 'field' };
}
