// POST /api/alerts/alertmanager: Alertmanager's webhook receiver. Thin: the work is in
// src/intake/webhook.ts; this file adapts the HTTP request and the Durable client.
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { handleAlertmanagerWebhook } from '../src/intake/webhook.js';
import { appSettings, auditStore, configLoader, controlStore, notifyEnv } from './lib/runtime.js';
import { clientHttp } from './lib/durable-lazy.js';
import { durableRemediationInstances } from './lib/durable-instances.js';
import { readBodyLimited } from './lib/http-body.js';

export async function alertmanagerWebhook(request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  const settings = appSettings();
  const [audit, control, config] = await Promise.all([auditStore(), controlStore(), configLoader()]);
  const { isPaused, ControlStormStore } = await import('../src/adapters/control-store.js');
  const res = await handleAlertmanagerWebhook(
    {
      authorization: request.headers.get('authorization'),
      contentLength: request.headers.get('content-length'),
      readBody: (limit) => readBodyLimited(request, limit),
    },
    {
      config,
      settings,
      instances: durableRemediationInstances(client),
      audit,
      pause: () => isPaused(settings, control),
      storm: ControlStormStore.fromSettings(settings),
      page: async (p) => {
        const { pageCritical } = await import('../src/notify/activity.js');
        await pageCritical({ ...notifyEnv(), config: config(), log: (level, m) => context[level](m) }, p);
      },
      now: () => new Date(),
      deliveryId: randomUUID,
      log: (level, message) => context[level](message),
    },
  );
  return { status: res.status, headers: { 'Content-Type': 'application/json', ...res.headers }, jsonBody: res.body };
}

clientHttp('alertmanagerWebhook', {
  route: 'alerts/alertmanager',
  methods: ['POST'],
  authLevel: 'function',
  handler: alertmanagerWebhook,
});
