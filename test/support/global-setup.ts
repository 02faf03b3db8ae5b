// Suite-wide setup: starts one real Azurite (test/support/azurite.ts) for the whole run on free
// ports with a temporary folder, and stops it (and deletes the folder) at the end.
//
// A test file gets the endpoints with vitest's inject (works with pool 'forks' and 'threads'):
//
//   import { inject } from 'vitest';
//   const { connectionString } = inject('azurite');
//
// The connection string is also exported as AZURITE_CONNECTION_STRING to the environment that
// test workers (and processes they spawn) inherit. Tests share one Azurite: use a table,
// container or queue name unique to the test file.
import type { TestProject } from 'vitest/node';
import { startAzurite, type AzuriteEndpoints, type AzuriteInstance } from './azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azurite: AzuriteEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let azurite: AzuriteInstance;
  try {
    azurite = await startAzurite();
  } catch (err) {
    // Make the cause obvious at the top of the vitest output instead of failing every test.
    const message = `\n[global-setup] Azurite did not start, so tests that need storage cannot run.\n${(err as Error).message}\n`;
    console.error(message);
    throw new Error(message);
  }
  const endpoints: AzuriteEndpoints = {
    connectionString: azurite.connectionString,
    blobEndpoint: azurite.blobEndpoint,
    queueEndpoint: azurite.queueEndpoint,
    tableEndpoint: azurite.tableEndpoint,
  };
  project.provide('azurite', endpoints);
  process.env.AZURITE_CONNECTION_STRING = azurite.connectionString;
  return async () => {
    delete process.env.AZURITE_CONNECTION_STRING;
    await azurite.stop();
  };
}
