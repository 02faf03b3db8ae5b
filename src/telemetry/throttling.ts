// Counts Azure's 429 (throttled) answers for the aksops.azure.throttled metric: a pipeline policy
// of @azure/core-rest-pipeline that every Azure SDK client here takes through
// `additionalPolicies` (ARM, Key Vault, Table storage, Cost Management). Placed per retry, after
// the SDK's retry policy, so each throttled attempt counts, also those the SDK retries itself
// (core-rest-pipeline: AdditionalPolicyConfig, position "perRetry"). Only the service name is an
// attribute: URLs can carry SAS tokens and resource names.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { count } from './metrics.js';

export type AzureService = 'arm' | 'keyvault' | 'storage' | 'cost-management';

export function throttleCountingPolicy(service: AzureService): PipelinePolicy {
  return {
    name: `aksopsThrottleCount-${service}`,
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status === 429) count('azureThrottled', { service });
      return response;
    },
  };
}

/** An entry of a client's `additionalPolicies` (@azure/core-client AdditionalPolicyConfig). */
export interface AdditionalPolicy {
  policy: PipelinePolicy;
  position: 'perCall' | 'perRetry';
}

/** Client options with the counting policy added (keeps any additionalPolicies already given). */
export function withThrottleCount<T extends object>(service: AzureService, options: T): T & { additionalPolicies: AdditionalPolicy[] } {
  const given = (options as { additionalPolicies?: AdditionalPolicy[] }).additionalPolicies ?? [];
  return { ...options, additionalPolicies: [...given, { policy: throttleCountingPolicy(service), position: 'perRetry' }] };
}
