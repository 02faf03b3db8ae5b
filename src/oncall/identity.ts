// Who is calling an HTTP route: the one identity model of every on-call route (docs/security.md).
//
// With App Service Authentication (Easy Auth) in front of the app, App Service injects, and strips
// from outside requests, x-ms-client-principal: base64 JSON {auth_typ, claims: [{typ, val}],
// name_typ, role_typ} ("Work with user identities in Azure App Service authentication"), plus
// x-ms-client-principal-name. Entra ID app roles arrive as claims of type role_typ or "roles".
// Without Easy Auth, anyone can send those headers, so they are read only when the platform says
// Easy Auth is on: WEBSITE_AUTH_ENABLED=True, which App Service sets itself when authsettingsV2
// enables it (settings.behindEasyAuth). The header is then read here and nowhere else.
//
// RUNBOOKS_AUTH=easy-auth: a principal is required (401 without) and each route's app role is
// checked (403 without); readSettings refuses this mode unless WEBSITE_AUTH_ENABLED is true.
// RUNBOOKS_AUTH=function-key (local, or Azure without Easy Auth): the function key is the only
// credential. Roles cannot be checked; a name in the body is recorded as claimed, not proven,
// and the audit says so (proof "function-key").

export interface Principal {
  name: string;
  roles: string[];
  idp: string | undefined;
}

export interface Headers {
  get(name: string): string | null;
}

export interface AuthPolicy {
  runbooksAuth: 'function-key' | 'easy-auth';
  /** WEBSITE_AUTH_ENABLED: App Service Authentication is in front of the app (set by the platform). */
  behindEasyAuth: boolean;
}

/** How the identity was proven, recorded in the audit (AuditRecord.proof). */
export type Proof = 'easy-auth' | 'function-key';

interface ClientPrincipal {
  auth_typ?: string;
  claims?: Array<{ typ?: unknown; val?: unknown }>;
  name_typ?: string;
  role_typ?: string;
}

const ROLE_TYPES = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const NAME_TYPES = [
  'preferred_username',
  'upn',
  'email',
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
];

/** Decodes x-ms-client-principal. Exported for its tests; routes use callerIdentity. */
export function decodePrincipal(headers: Headers): Principal | null {
  const encoded = headers.get('x-ms-client-principal');
  if (!encoded) return null;
  let p: ClientPrincipal;
  try {
    p = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    return null;
  }
  const claims = Array.isArray(p.claims)
    ? p.claims.filter((c): c is { typ: string; val: string } => typeof c?.typ === 'string' && typeof c.val === 'string')
    : [];
  const roleTypes = new Set([...ROLE_TYPES, ...(p.role_typ ? [p.role_typ] : [])]);
  const roles = [...new Set(claims.filter((c) => roleTypes.has(c.typ)).map((c) => c.val))];
  const nameTypes = [...(p.name_typ ? [p.name_typ] : []), ...NAME_TYPES];
  const fromClaims = nameTypes.map((t) => claims.find((c) => c.typ === t)?.val).find((v) => v !== undefined && v !== '');
  const name = headers.get('x-ms-client-principal-name')?.trim() || fromClaims;
  if (!name) return null;
  return { name: name.slice(0, 256), roles, idp: headers.get('x-ms-client-principal-idp') ?? undefined };
}

/** The Easy Auth principal, only when Easy Auth is in front of the app; otherwise null (headers ignored). */
export function principalOf(headers: Headers, policy: AuthPolicy): Principal | null {
  return policy.behindEasyAuth ? decodePrincipal(headers) : null;
}

export interface Identity {
  by: string;
  proof: Proof;
  /** Names taken from the body in function-key mode: recorded, not proven. */
  claimed: boolean;
}
export type IdentityResult = ({ ok: true; via: 'easy-auth' | 'field' } & Identity) | { ok: false; status: 401 | 403; error: string; parameter?: string };

export interface IdentityNeed {
  /** The app role the route needs (checked on Easy Auth principals). */
  role?: string;
  /** What the role is for, in the 403 message. */
  purpose?: string;
  /** The body field that names the caller in function-key mode. */
  field?: string;
  /** Is that field required in function-key mode? */
  fieldRequired?: boolean;
  /** The fix for a missing field, e.g. '"approver": "you@example.com"'. */
  fieldFix?: string;
}

const NAME = /^[\p{L}\p{N}._@+\- ']{1,256}$/u;
const NO_PRINCIPAL = 'no Easy Auth principal on the request: sign in (App Service Authentication must be enabled for this app; docs/security.md)';

/** The caller of a route: the Easy Auth principal with the route's role, or (function-key mode) the key holder. */
export function callerIdentity(headers: Headers, body: Record<string, unknown>, policy: AuthPolicy, need: IdentityNeed = {}): IdentityResult {
  const p = principalOf(headers, policy);
  if (p) {
    if (need.role && !p.roles.includes(need.role)) {
      return {
        ok: false,
        status: 403,
        error: `${p.name} lacks the app role "${need.role}" needed to ${need.purpose ?? 'do this'}. Fix: assign the role to the user in the app registration (docs/security.md, roles)`,
      };
    }
    return { ok: true, by: p.name, proof: 'easy-auth', claimed: false, via: 'easy-auth' };
  }
  if (policy.runbooksAuth === 'easy-auth') return { ok: false, status: 401, error: NO_PRINCIPAL };
  const field = need.field;
  const v = field ? body[field] : undefined;
  if (field && (typeof v !== 'string' || v.trim() === '')) {
    if (!need.fieldRequired) return { ok: true, by: 'function-key', proof: 'function-key', claimed: false, via: 'field' };
    return {
      ok: false,
      status: 401,
      error: `${field}: required when the request carries no Easy Auth principal (x-ms-client-principal). Fix: add ${need.fieldFix ?? `"${field}": "you@example.com"`}`,
      parameter: field,
    };
  }
  if (!field) return { ok: true, by: 'function-key', proof: 'function-key', claimed: false, via: 'field' };
  if (!NAME.test((v as string).trim())) return { ok: false, status: 401, error: `${field}: not a name or e-mail address`, parameter: field };
  return { ok: true, by: (v as string).trim(), proof: 'function-key', claimed: true, via: 'field' };
}

/** The audit actor: "user:<name>" for a person (proven or claimed), "http:function-key" for an unnamed key holder. */
export function actorOf(id: Identity): string {
  return id.by === 'function-key' && !id.claimed ? 'http:function-key' : `user:${id.by.slice(0, 200)}`;
}

/** How the identity was proven, for audit details. */
export function proofText(id: Identity): string {
  if (id.proof === 'easy-auth') return 'Easy Auth principal';
  return id.claimed ? 'name claimed in the request; proven only by the function key' : 'function key';
}

/** The identity of an approver (approve, reject, cancel). */
export function approverIdentity(headers: Headers, body: Record<string, unknown>, policy: AuthPolicy, role: string, field = 'approver'): IdentityResult {
  return callerIdentity(headers, body, policy, {
    role,
    purpose: 'approve, reject or cancel runs',
    field,
    fieldRequired: true,
    fieldFix: `"${field}": "you@example.com"`,
  });
}

/** The identity of whoever starts a run (needs the Operator role behind Easy Auth). */
export function requesterIdentity(headers: Headers, body: Record<string, unknown>, policy: AuthPolicy, role = OPERATOR_ROLE): IdentityResult {
  return callerIdentity(headers, body, policy, {
    role,
    purpose: 'start runbooks',
    field: 'requestedBy',
    fieldRequired: true,
    fieldFix: '"requestedBy": "you@example.com" (the CLI sends $USER)',
  });
}

/** App roles of the app registration (bicep/modules/easyauth.bicep). Approvers decide; Operators start. */
export const OPERATOR_ROLE = 'Operator';
export const APPROVER_ROLE = 'Approver';
