// The fake Kubernetes API server for the dump benchmark, in its own process (as the real API
// server and kubelet are not in the function's process): a Running pod whose exec runs
// `cat FILE` (pg_dump, redis-cli --rdb), nothing for psql, or `tar -C DIR -cf - .` for the Prometheus snapshot
// script (a real tar stream of the directory that holds FILE), and a PVC files/data whose copy pod
// (the kubelet simulation of the tests) sees that directory as its mount, so the PVC file-level
// backup runs the real tar of it. Prints {"url": ...} on stdout once
// listening; stops on SIGTERM.
//   node dist/bench/backup-kube-server.js FILE TOKEN
import { startFakeKubeApiServer } from '../test/fakes/kube-api-server.js';
import { configureExec } from '../test/fakes/kube-exec.js';
import { simulateKubelet, volumeRewrite } from '../test/fakes/kube-kubelet.js';
import { basename, dirname } from 'node:path';

const [file, token] = process.argv.slice(2);
if (!file || !token) {
  process.stderr.write('usage: backup-kube-server.js FILE TOKEN\n');
  process.exit(2);
}
const kube = await startFakeKubeApiServer({ token });
kube.seedPod({ namespace: 'db', name: 'pg-0', labels: { app: 'pg' }, spec: { containers: [{ name: 'postgres', image: 'postgres:15' }] } });
kube.seed('persistentvolumeclaims', {
  metadata: { name: 'data', namespace: 'files', labels: { backup: 'files' } },
  spec: {
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'managed-csi',
    resources: { requests: { storage: '10Gi' } },
    volumeMode: 'Filesystem',
    volumeName: 'pv-data',
  },
  status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
});
simulateKubelet(kube.registry, { runningAfterReads: 1 });
const volume = volumeRewrite(kube.registry, (ns, claim) => (ns === 'files' && claim === 'data' ? dirname(file) : undefined));
// psql (the TimescaleDB check after pg_dump) answers nothing: a plain PostgreSQL.
const psql = (argv: string[]) => argv[0] === 'psql' || argv.some((a) => a.includes('exec psql'));
configureExec(kube.registry, {
  rewrite: (req) =>
    req.namespace === 'files'
      ? volume(req)
      : psql(req.command)
        ? ['true']
        : req.command.some((a) => a.includes('tar -C'))
          ? ['tar', '-C', dirname(file), '-cf', '-', basename(file)]
          : ['cat', file],
});
process.stdout.write(`${JSON.stringify({ url: kube.url })}\n`);
process.on('SIGTERM', () => {
  void kube.stop().then(() => process.exit(0));
});
