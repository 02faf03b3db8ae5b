// POST /api/windows and /api/windows/{id}/close read their bodies with the on-call size limit:
// a body over 64 KiB is answered 413 before anything is parsed, stored or audited.
import { describe, expect, it } from 'vitest';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { closeWindowHandler, openWindowHandler } from '../../functions/windows.js';
import { MAX_JSON_BODY } from '../../functions/lib/http.js';

const post = (path: string, body: string) =>
  new HttpRequest({
    method: 'POST',
    url: `http://localhost/api/${path}`,
    body: { string: body },
    headers: { 'content-type': 'application/json' },
    params: { id: 'w1' },
  });
const huge = JSON.stringify({ reason: 'x'.repeat(MAX_JSON_BODY), by: 'oncall' });

describe('windows routes: body size limit', () => {
  it.each([
    ['open', () => openWindowHandler(post('windows', huge), new InvocationContext())],
    ['close', () => closeWindowHandler(post('windows/w1/close', huge), new InvocationContext())],
  ])('%s: a body over the limit is 413', async (_name, call) => {
    const res = await call();
    expect(res.status).toBe(413);
    expect(res.jsonBody).toEqual({ error: `body larger than ${MAX_JSON_BODY} bytes`, parameter: 'body' });
  });
});
