// metav1.LabelSelector objects ({matchLabels, matchExpressions}) as controllers and the
// eviction subresource evaluate them (metav1.LabelSelectorAsSelector): an empty selector
// matches everything, a missing one nothing.
import { isPlainObject } from './kube-patch.js';
import { text } from '../../src/domain/text.js';

export function parseLabelSelectorObject(selector: unknown): (labels: Record<string, string>) => boolean {
  if (!isPlainObject(selector)) return () => false;
  const matchLabels = isPlainObject(selector['matchLabels']) ? (selector['matchLabels'] as Record<string, string>) : {};
  const exprs = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : [];
  return (labels) => {
    for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
    for (const e of exprs) {
      if (!isPlainObject(e)) return false;
      const key = text(e['key'], 'undefined');
      const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
      const has = Object.prototype.hasOwnProperty.call(labels, key);
      switch (e['operator']) {
        case 'In':
          if (!has || !values.includes(labels[key]!)) return false;
          break;
        case 'NotIn':
          if (has && values.includes(labels[key]!)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
    return true;
  };
}
