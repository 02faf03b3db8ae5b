// One way to show a value of unknown shape (a table column, a JSON field, a CLI cell) as text:
// strings as they are, numbers and booleans as String() writes them, objects as JSON, never
// "[object Object]".
export function text(value: unknown, fallback = ''): string {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return String(value);
  return JSON.stringify(value) ?? fallback;
}
