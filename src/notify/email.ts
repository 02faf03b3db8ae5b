// Email through Azure Communication Services with its official SDK (@azure/communication-email):
// POST {endpoint}/emails:send?api-version=... answers 202 with an Operation-Location, which the
// SDK's poller follows until Succeeded/Failed. The SDK's pipeline retries 429 (Retry-After) and
// 5xx. Authentication: the resource's access key (HMAC-SHA256 request signing, from the app setting
// notifications[].keySetting, which may be a Key Vault reference) or, without one, the app's
// managed identity (Entra ID bearer token). The key never leaves this function: not in results,
// logs or errors. The Operation-Id is derived from the message's idempotency key, so a re-run of
// the same message is the same ACS operation (the service does not send it twice).
import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import type { EmailClientOptions } from '@azure/communication-email';
import type { NotificationTarget } from '../config/schema.js';
import type { NotificationMessage } from './message.js';
import type { SendResult } from './sender.js';

export type EmailTarget = Extract<NotificationTarget, { type: 'email' }>;

export interface EmailDeps {
  secret(name: string): string | undefined;
  /** The app's credential (managed identity), used when the target has no keySetting. */
  credential?: () => Promise<TokenCredential>;
  /** Pipeline options for the SDK client (tests: a TLS agent, short retry delays). */
  emailClientOptions?: EmailClientOptions;
  /** Poll interval of the send operation (default 2 s, the service's Retry-After usually rules). */
  pollIntervalMs?: number;
  timeoutMs?: number;
}

/** A UUID (the form ACS requires for Operation-Id) derived from the idempotency key. */
export function operationId(key: string): string {
  const h = createHash('sha256').update(`aksops-email:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export async function sendEmail(t: EmailTarget, m: Pick<NotificationMessage, 'title' | 'text'>, idempotencyKey: string, deps: EmailDeps): Promise<SendResult> {
  const key = t.keySetting ? deps.secret(t.keySetting) : undefined;
  if (t.keySetting && !key) return { ok: false, attempts: 0, error: `app setting ${t.keySetting} is not set` };
  if (!key && !deps.credential)
    return { ok: false, attempts: 0, error: `no credential for ${t.name}: set notifications[].keySetting or run with a managed identity` };
  try {
    const { EmailClient } = await import('@azure/communication-email');
    const options: EmailClientOptions = { retryOptions: { maxRetries: 3 }, ...deps.emailClientOptions };
    const client = key ? new EmailClient(t.endpoint, { key }, options) : new EmailClient(t.endpoint, await deps.credential!(), options);
    const abortSignal = AbortSignal.timeout(deps.timeoutMs ?? 60_000);
    const poller = await client.beginSend(
      {
        senderAddress: t.sender,
        content: { subject: m.title.slice(0, 255), plainText: m.text },
        recipients: { to: t.to.map((address) => ({ address })) },
      },
      { operationId: operationId(idempotencyKey), updateIntervalInMs: deps.pollIntervalMs ?? 2000, abortSignal },
    );
    const r = await poller.pollUntilDone({ abortSignal });
    if (r.status === 'Succeeded') return { ok: true, status: 202, attempts: 1 };
    return { ok: false, attempts: 1, error: `the send operation ended ${r.status}${r.error?.message ? `: ${r.error.message.slice(0, 200)}` : ''}` };
  } catch (e) {
    const err = e as { statusCode?: number; code?: string; message?: string; name?: string };
    // Only the status and the service's message, never the request (it carries the signature).
    const text = `${err.statusCode ? `HTTP ${err.statusCode}` : (err.code ?? err.name ?? 'error')}: ${(err.message ?? '').slice(0, 200)}`;
    return { ok: false, attempts: 1, ...(err.statusCode ? { status: err.statusCode } : {}), error: key ? text.split(key).join('[redacted]') : text };
  }
}
