// A failed call to an Azure service, as the adapters report it: the HTTP status and service error
// code (when there was an answer) and whether trying again later can help. Each adapter names its
// own subclass (AgentPoolError, VaultError) so callers can tell which service failed.
export class AzureCallError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly transient: boolean,
  ) {
    super(message);
  }
}
