// Server-side copies between two storage accounts (the primary and the secondary backup account):
// Copy Blob (@azure/storage-blob BlobClient.beginCopyFromURL, polled until done). The destination
// account pulls the bytes from the source URL itself; nothing flows through this process.
//
// Why Copy Blob and not Copy Blob From URL (syncCopyFromURL): the synchronous one is limited to
// 256 MiB sources (Put Blob From URL / Copy Blob From URL limits), dumps and TSDB tars are larger.
// Why not object replication: see docs/decisions/0010-secondary-copy.md.
//
// The source URL carries a read-only SAS for that one blob, valid for one hour: a user-delegation
// SAS (Get User Delegation Key, signed with the managed identity's key, no account key) in Azure; a
// service SAS signed with the account key for connection strings (Azurite, local runs). The SAS
// never leaves this module: copy errors name the blob, the status and the error code only.
import type { BlobServiceClient } from '@azure/storage-blob';
import type { BackupBlobStore } from './blob-store.js';

const SAS_LIFETIME_MS = 60 * 60 * 1000;

/** Issues read SAS URLs of one account's blobs (one user delegation key per issuer). */
export class ReadSasIssuer {
  private key: Promise<{ svc: BlobServiceClient; udk?: import('@azure/storage-blob').UserDelegationKey }> | undefined;

  // The wall clock: the storage service checks the SAS times against its own clock.
  constructor(
    private readonly store: BackupBlobStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async url(container: string, path: string): Promise<string> {
    const sdk = await import('@azure/storage-blob');
    const startsOn = new Date(this.now().getTime() - 5 * 60 * 1000); // clock skew
    const expiresOn = new Date(this.now().getTime() + SAS_LIFETIME_MS);
    this.key ??= (async () => {
      const svc = await this.store.serviceClient();
      if (svc.credential instanceof sdk.StorageSharedKeyCredential) return { svc };
      return { svc, udk: await svc.getUserDelegationKey(startsOn, expiresOn) };
    })();
    const { svc, udk } = await this.key;
    const blob = svc.getContainerClient(container).getBlobClient(path);
    const permissions = sdk.BlobSASPermissions.parse('r');
    if (!udk) return blob.generateSasUrl({ permissions, startsOn, expiresOn });
    const q = sdk.generateBlobSASQueryParameters(
      {
        containerName: container,
        blobName: path,
        permissions,
        startsOn,
        expiresOn: udk.signedExpiresOn < expiresOn ? udk.signedExpiresOn : expiresOn,
        protocol: sdk.SASProtocol.Https,
      },
      udk,
      svc.accountName,
    );
    return `${blob.url}?${q.toString()}`;
  }
}

export class BlobCopyError extends Error {
  override name = 'BlobCopyError';
}

/**
 * Copies a blob from `sourceUrl` to `container/path` of `target`, write-once (If-None-Match: *).
 * Returns false when the target blob already existed (an earlier attempt copied it).
 */
export async function copyBlobFromUrl(target: BackupBlobStore, container: string, path: string, sourceUrl: string): Promise<boolean> {
  const blob = (await target.container(container)).getBlobClient(path);
  try {
    const poller = await blob.beginCopyFromURL(sourceUrl, { conditions: { ifNoneMatch: '*' }, intervalInMs: 2000 });
    const r = await poller.pollUntilDone();
    if (r.copyStatus !== 'success') throw new BlobCopyError(`copy of ${container}/${path} ended ${r.copyStatus ?? 'without a status'}`);
    return true;
  } catch (e) {
    if (e instanceof BlobCopyError) throw e;
    const status = (e as { statusCode?: number }).statusCode;
    const code = (e as { code?: string; details?: { errorCode?: string } }).details?.errorCode ?? (e as { code?: string }).code;
    if (status === 409 && code === 'BlobAlreadyExists') return false;
    // Not the SDK's message: it may quote the x-ms-copy-source header (the SAS).
    throw new BlobCopyError(`server-side copy of ${container}/${path} to ${target.endpoint} failed: HTTP ${status ?? '?'} ${code ?? ''}`.trim());
  }
}
