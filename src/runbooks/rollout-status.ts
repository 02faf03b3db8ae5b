// Is a rollout finished? The same reading of status that `kubectl rollout status` does
// (kubectl/pkg/polymorphichelpers/rollout_status.go: DeploymentStatusViewer,
// StatefulSetStatusViewer, DaemonSetStatusViewer), as a pure function of the object.
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';

export interface RolloutStatus {
  done: boolean;
  /** The rollout cannot finish (Progressing=False ProgressDeadlineExceeded, or an unsupported strategy). */
  failed?: boolean;
  message: string;
  /** Updated of desired replicas, for progress reporting. */
  progress: { done: number; total: number };
}

export function deploymentStatus(d: V1Deployment): RolloutStatus {
  const name = d.metadata?.name ?? '';
  const st = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  const progress = { done: st.updatedReplicas ?? 0, total: want };
  if ((d.metadata?.generation ?? 0) <= (st.observedGeneration ?? 0)) {
    const cond = (st.conditions ?? []).find((c) => c.type === 'Progressing');
    if (cond?.reason === 'ProgressDeadlineExceeded')
      return { done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline`, progress };
    if ((st.updatedReplicas ?? 0) < want)
      return {
        done: false,
        message: `Waiting for deployment "${name}" rollout to finish: ${st.updatedReplicas ?? 0} out of ${want} new replicas have been updated...`,
        progress,
      };
    if ((st.replicas ?? 0) > (st.updatedReplicas ?? 0))
      return {
        done: false,
        message: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - (st.updatedReplicas ?? 0)} old replicas are pending termination...`,
        progress,
      };
    if ((st.availableReplicas ?? 0) < (st.updatedReplicas ?? 0))
      return {
        done: false,
        message: `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${st.updatedReplicas ?? 0} updated replicas are available...`,
        progress,
      };
    return { done: true, message: `deployment "${name}" successfully rolled out`, progress };
  }
  return { done: false, message: 'Waiting for deployment spec update to be observed...', progress };
}

export function statefulSetStatus(s: V1StatefulSet): RolloutStatus {
  const st = s.status ?? { replicas: 0 };
  const want = s.spec?.replicas ?? 1;
  const progress = { done: st.updatedReplicas ?? 0, total: want };
  if ((s.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return {
      done: false,
      failed: true,
      message: `rollout status is only available for RollingUpdate strategy type (statefulset uses ${s.spec?.updateStrategy?.type})`,
      progress,
    };
  }
  if (!st.observedGeneration || (s.metadata?.generation ?? 0) > st.observedGeneration)
    return { done: false, message: 'Waiting for statefulset spec update to be observed...', progress };
  if ((st.readyReplicas ?? 0) < want) return { done: false, message: `Waiting for ${want - (st.readyReplicas ?? 0)} pods to be ready...`, progress };
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    if ((st.updatedReplicas ?? 0) < want - partition)
      return {
        done: false,
        message: `Waiting for partitioned roll out to finish: ${st.updatedReplicas ?? 0} out of ${want - partition} new pods have been updated...`,
        progress,
      };
    return { done: true, message: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated...`, progress };
  }
  if (st.updateRevision !== st.currentRevision)
    return {
      done: false,
      message: `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision ?? ''}...`,
      progress,
    };
  return {
    done: true,
    message: `statefulset rolling update complete ${st.currentReplicas ?? want} pods at revision ${st.currentRevision ?? ''}...`,
    progress: { done: want, total: want },
  };
}

export function daemonSetStatus(d: V1DaemonSet): RolloutStatus {
  const name = d.metadata?.name ?? '';
  const st = d.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  const progress = { done: st.updatedNumberScheduled ?? 0, total: st.desiredNumberScheduled ?? 0 };
  if ((d.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return {
      done: false,
      failed: true,
      message: `rollout status is only available for RollingUpdate strategy type (daemon set uses ${d.spec?.updateStrategy?.type})`,
      progress,
    };
  }
  if ((d.metadata?.generation ?? 0) <= (st.observedGeneration ?? 0)) {
    if ((st.updatedNumberScheduled ?? 0) < (st.desiredNumberScheduled ?? 0))
      return {
        done: false,
        message: `Waiting for daemon set "${name}" rollout to finish: ${st.updatedNumberScheduled ?? 0} out of ${st.desiredNumberScheduled} new pods have been updated...`,
        progress,
      };
    if ((st.numberAvailable ?? 0) < (st.desiredNumberScheduled ?? 0))
      return {
        done: false,
        message: `Waiting for daemon set "${name}" rollout to finish: ${st.numberAvailable ?? 0} of ${st.desiredNumberScheduled} updated pods are available...`,
        progress,
      };
    return { done: true, message: `daemon set "${name}" successfully rolled out`, progress };
  }
  return { done: false, message: 'Waiting for daemon set spec update to be observed...', progress };
}
