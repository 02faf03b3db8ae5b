// metav1.Status bodies exactly as kube-apiserver writes them for the failures the fake
// reproduces. Messages and reasons follow k8s.io/apimachinery/pkg/api/errors/errors.go
// (NewNotFound, NewAlreadyExists, NewConflict, NewBadRequest, NewInvalid,
// NewResourceExpired, NewUnauthorized, NewMethodNotSupported) and
// apiserver/pkg/endpoints/handlers/negotiation/errors.go (UnsupportedMediaType).
import type { ResourceType } from './kube-resources.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
  /** Omitted (Go omitempty) on the Success status a DELETE answers with. */
  code?: number;
}

/** Thrown inside the fake; the HTTP layer writes `status` with `status.code`. */
export class KubeStatusError extends Error {
  readonly httpStatus: number;
  constructor(readonly status: StatusBody) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.httpStatus = status.code ?? 500;
  }
}

function failure(code: number, reason: string, message: string, details?: StatusBody['details']): KubeStatusError {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) body.details = details;
  return new KubeStatusError(body);
}

/** "pods" or "deployments.apps": the qualified resource kube-apiserver prints in messages. */
export function qualifiedResource(rt: ResourceType): string {
  return rt.group ? `${rt.resource}.${rt.group}` : rt.resource;
}

function resourceDetails(rt: ResourceType, name: string): NonNullable<StatusBody['details']> {
  return rt.group ? { name, group: rt.group, kind: rt.resource } : { name, kind: rt.resource };
}

export const statusError = {
  notFound: (rt: ResourceType, name: string) => failure(404, 'NotFound', `${qualifiedResource(rt)} "${name}" not found`, resourceDetails(rt, name)),
  alreadyExists: (rt: ResourceType, name: string) =>
    failure(409, 'AlreadyExists', `${qualifiedResource(rt)} "${name}" already exists`, resourceDetails(rt, name)),
  conflict: (rt: ResourceType, name: string, why: string) =>
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(rt)} "${name}": ${why}`, resourceDetails(rt, name)),
  staleResourceVersion: (rt: ResourceType, name: string) =>
    statusError.conflict(rt, name, 'the object has been modified; please apply your changes to the latest version and try again'),
  badRequest: (message: string) => failure(400, 'BadRequest', message),
  invalid: (rt: ResourceType, name: string, causes: Array<{ field: string; message: string; reason?: string }>) => {
    const kindGroup = rt.group ? `${rt.kind}.${rt.group}` : rt.kind;
    const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    return failure(422, 'Invalid', `${kindGroup} "${name}" is invalid: ${causes.length > 1 ? `[${text}]` : text}`, {
      name,
      ...(rt.group ? { group: rt.group } : {}),
      kind: rt.kind,
      causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
    });
  },
  unprocessable: (message: string) => failure(422, 'Invalid', message),
  unsupportedMediaType: (accepted: string[]) =>
    failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`),
  expired: (message: string) => failure(410, 'Expired', message),
  unauthorized: () => failure(401, 'Unauthorized', 'Unauthorized'),
  methodNotAllowed: () => failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
  pathNotFound: () => failure(404, 'NotFound', 'the server could not find the requested resource', {}),
  tooLarge: () => failure(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'),
  timeout: (message: string) => failure(504, 'Timeout', message),
};

/** The Status a successful non-pod DELETE answers with (genericregistry finalizeDelete). */
export function successStatus(rt: ResourceType, name: string, uid: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...resourceDetails(rt, name), uid } };
}
