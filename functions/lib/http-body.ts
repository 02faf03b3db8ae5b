// Reads an HTTP request body with a byte limit, stopping as soon as it is exceeded, so a huge
// body is never buffered whole.
import type { HttpRequest } from '@azure/functions';

export async function readBodyLimited(request: HttpRequest, limit: number): Promise<string | null> {
  const body = request.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
