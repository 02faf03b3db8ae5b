// The few pieces of Go's string handling that Alertmanager's matcher parsers rely on,
// written here because no npm package reproduces Go's exact rules:
// unicode.IsSpace / strings.TrimSpace, and strconv.Unquote for double-quoted strings.

// unicode.IsSpace: Latin-1 spaces plus the Unicode White_Space property (U+0085 included,
// U+FEFF not, unlike JavaScript's \s).
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

export function isGoSpace(r: string): boolean {
  return GO_SPACE.test(r);
}

export function goTrimSpace(s: string): string {
  const runes = Array.from(s);
  let a = 0;
  let b = runes.length;
  while (a < b && isGoSpace(runes[a]!)) a++;
  while (b > a && isGoSpace(runes[b - 1]!)) b--;
  return runes.slice(a, b).join('');
}

/** A UTF-16 surrogate without its pair: text that is not valid UTF-8 once encoded. */
export function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * strconv.Unquote for a double-quoted Go string literal, followed by the UTF-8 validity check
 * Alertmanager's UTF-8 parser makes. Returns null where Go returns an error: a literal newline,
 * an unknown escape (including \'), a bad \x, octal, \u or \U escape, or bytes that are not UTF-8.
 */
export function goUnquote(quoted: string): string | null {
  if (quoted.length < 2 || !quoted.startsWith('"') || !quoted.endsWith('"')) return null;
  const body = Array.from(quoted.slice(1, -1));
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\n' || c === '"') return null;
    if (c !== '\\') {
      bytes.push(...utf8.encode(c));
      continue;
    }
    const e = body[++i];
    if (e === undefined) return null;
    const digits = HEX_DIGITS[e];
    if (SIMPLE[e] !== undefined) {
      bytes.push(SIMPLE[e]);
    } else if (digits !== undefined) {
      const hex = body.slice(i + 1, i + 1 + digits).join('');
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) return null;
      i += digits;
      const v = parseInt(hex, 16);
      if (e === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return null;
      else bytes.push(...utf8.encode(String.fromCodePoint(v)));
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i, i + 3).join('');
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return null;
      i += 2;
      bytes.push(parseInt(oct, 8));
    } else {
      return null;
    }
  }
  try {
    return strictUtf8.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}
