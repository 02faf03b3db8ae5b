// A tiny multi-version store standing in for etcd: one global revision that every write
// increments (what metadata.resourceVersion shows), the history of each key so a paginated
// LIST can keep reading the snapshot its first page saw, and compaction that makes older
// snapshots (and the continue tokens pointing at them) expire.
import type { KubeObject } from './kube-resources.js';

interface Version {
  rv: number;
  obj: KubeObject | null;
}

export class VersionedStore {
  /** Current revision; an empty etcd starts at 1. */
  revision = 1;
  /** Snapshots older than this are gone (410 Expired when a continue token needs them). */
  compactedRevision = 0;
  private readonly data = new Map<string, Map<string, Version[]>>();

  private keys(resource: string): Map<string, Version[]> {
    let m = this.data.get(resource);
    if (!m) {
      m = new Map();
      this.data.set(resource, m);
    }
    return m;
  }

  /** The object at `rv` (default: now), as a copy the caller may change. */
  get(resource: string, key: string, rv = this.revision): KubeObject | undefined {
    const versions = this.keys(resource).get(key);
    if (!versions) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]!;
      if (v.rv <= rv) return v.obj ? structuredClone(v.obj) : undefined;
    }
    return undefined;
  }

  /** Stores `obj` (or deletes the key with null) as a new revision; sets resourceVersion. */
  write(resource: string, key: string, obj: KubeObject | null): number {
    this.revision += 1;
    const stored = obj ? structuredClone(obj) : null;
    if (stored) stored.metadata.resourceVersion = String(this.revision);
    if (obj) obj.metadata.resourceVersion = String(this.revision);
    const m = this.keys(resource);
    const versions = m.get(key) ?? [];
    versions.push({ rv: this.revision, obj: stored });
    m.set(key, versions);
    return this.revision;
  }

  /** Objects under `prefix` at `rv`, sorted by key as etcd returns them. */
  list(resource: string, prefix: string, rv = this.revision): Array<{ key: string; obj: KubeObject }> {
    const out: Array<{ key: string; obj: KubeObject }> = [];
    for (const key of this.keys(resource).keys()) {
      if (!key.startsWith(prefix)) continue;
      const obj = this.get(resource, key, rv);
      if (obj) out.push({ key, obj });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Drops history older than the current revision, as etcd compaction does. */
  compact(): void {
    this.compactedRevision = this.revision;
    for (const m of this.data.values()) {
      for (const [key, versions] of m) {
        const last = versions[versions.length - 1]!;
        if (last.obj === null) m.delete(key);
        else m.set(key, [last]);
      }
    }
  }
}
