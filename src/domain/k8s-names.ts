// Kubernetes object name rules (k8s.io/apimachinery/pkg/util/validation):
// namespaces are DNS-1123 labels; most object names (pods, deployments, nodes, PVCs) are
// DNS-1123 subdomains. Anything else cannot name an object and is refused before any call,
// which also rules out path tricks such as "../" or "%2F" in alert labels.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type NameKind = 'namespace' | 'name';

/** null when valid, else a sentence saying what is wrong. */
export function checkName(kind: NameKind, value: string): string | null {
  if (typeof value !== 'string' || value === '') return `is empty`;
  if (kind === 'namespace') {
    if (value.length > 63) return `"${short(value)}" is longer than 63 characters, so it cannot be a namespace`;
    if (!DNS1123_LABEL.test(value))
      return `"${short(value)}" is not a valid namespace (lower-case letters, digits and '-', starting and ending with a letter or digit)`;
    return null;
  }
  if (value.length > 253) return `"${short(value)}" is longer than 253 characters, so it cannot name a Kubernetes object`;
  if (!DNS1123_SUBDOMAIN.test(value)) return `"${short(value)}" is not a valid Kubernetes object name (lower-case letters, digits, '-' and '.')`;
  return null;
}

function short(v: string): string {
  const printable = v.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 77)}...` : printable;
}
