// Polls the status of an ARM long-running operation once, from its status URL (the
// Azure-AsyncOperation header, or Location), so an orchestration can wait on durable timers
// between polls instead of an activity sleeping through a cluster stop.
//   Azure-AsyncOperation: GET answers 200 {"status": "InProgress" | "Succeeded" | "Failed" |
//   "Canceled", "error"?: {code, message}} (ARM async operations contract, as AKS implements it).
//   Location: GET answers 202 while running and 200/204 when done.
// The bearer token goes only to the ARM endpoint the clients use: a status URL on another origin
// is refused. Imported lazily (core-rest-pipeline is part of every Azure SDK client anyway).
import type { TokenCredential } from '@azure/core-auth';
import { throttleCountingPolicy } from '../telemetry/throttling.js';
import type { Pipeline, HttpClient } from '@azure/core-rest-pipeline';
import { ThrottledError, retryAfterSeconds } from './arm-errors.js';

export const ARM_SCOPE = 'https://management.azure.com/.default';

export type OperationStatus = { status: 'InProgress' } | { status: 'Succeeded' } | { status: 'Failed' | 'Canceled'; error: string };

export interface ArmOperationsOptions {
  credential: () => Promise<TokenCredential>;
  /** ARM endpoint (default https://management.azure.com); tests point it at the fake. */
  endpoint?: string;
  /** PEM CA to trust (tests). */
  ca?: string;
}

export class ArmOperations {
  private pipeline: Promise<{ pipeline: Pipeline; client: HttpClient }> | undefined;

  constructor(private readonly options: ArmOperationsOptions) {}

  private get origin(): string {
    return new URL(this.options.endpoint ?? 'https://management.azure.com').origin;
  }

  private build(): Promise<{ pipeline: Pipeline; client: HttpClient }> {
    this.pipeline ??= (async () => {
      const p = await import('@azure/core-rest-pipeline');
      const pipeline = p.createPipelineFromOptions({ retryOptions: { maxRetries: 2 }, ...(this.options.ca ? { tlsOptions: { ca: this.options.ca } } : {}) });
      pipeline.addPolicy(p.bearerTokenAuthenticationPolicy({ credential: await this.options.credential(), scopes: ARM_SCOPE }));
      pipeline.addPolicy(throttleCountingPolicy('arm'), { afterPhase: 'Retry' });
      return { pipeline, client: p.createDefaultHttpClient() };
    })();
    this.pipeline.catch(() => (this.pipeline = undefined));
    return this.pipeline;
  }

  /** One GET of the status URL. Throws ThrottledError on 429. */
  async poll(statusUrl: string): Promise<OperationStatus> {
    const url = new URL(statusUrl);
    if (url.origin !== this.origin) throw new Error(`refusing to poll ${url.origin}: not the ARM endpoint ${this.origin}`);
    const { pipeline, client } = await this.build();
    const { createPipelineRequest } = await import('@azure/core-rest-pipeline');
    const res = await pipeline.sendRequest(client, createPipelineRequest({ url: statusUrl, method: 'GET' }));
    if (res.status === 429) throw new ThrottledError('ARM throttled the operation status request (429)', retryAfterSeconds((n) => res.headers.get(n)) ?? 30);
    if (res.status === 202) return { status: 'InProgress' };
    if (res.status === 204) return { status: 'Succeeded' };
    const body = res.bodyAsText ? (JSON.parse(res.bodyAsText) as { status?: string; error?: { code?: string; message?: string } }) : {};
    if (res.status >= 400) return { status: 'Failed', error: `${res.status} ${body.error?.code ?? ''}: ${body.error?.message ?? ''}`.trim() };
    // A Location URL answers 200 with the resource; an Azure-AsyncOperation URL with {status}.
    switch (body.status) {
      case undefined:
      case 'Succeeded':
        return { status: 'Succeeded' };
      case 'Failed':
      case 'Canceled':
        return { status: body.status, error: `${body.error?.code ?? body.status}: ${body.error?.message ?? ''}`.trim() };
      default:
        return { status: 'InProgress' };
    }
  }
}
