// Queue-driven demand (issue #17): Celery workers and analysis Jobs show demand in queue length
// long before CPU requests move. A pool configured with `queue` forecasts the workers the queue
// will need, as requests in the pool's resource unit, instead of the pods' current requests:
//
//   demand = ceil(queue / tasksPerWorker) x workerRequests
//
// `query` is any PromQL series of waiting tasks: celery-exporter's `celery_queue_length`, KEDA's
// `keda_scaler_metrics_value`, or Redis list length through redis_exporter
// (`redis_key_size{key="celery"}` with `--check-keys`). For ephemeral Jobs, one task is one Job:
// tasksPerWorker 1 and workerRequests = the Job's requests, so Jobs per node = allocatable /
// workerRequests. The conversion runs in PromQL, so the forecast, bound, gate and decision are the
// ones every pool uses, and history comes from Prometheus (no extra store).
//
// An empty queue has no series: Redis deletes an empty list, so redis_exporter stops exporting it,
// and a plain sum() turns every idle hour into a gap. With `up` (the source's own health series,
// e.g. up{job="redis-exporter"}), an absent queue reads as 0 tasks while the source is up, and
// stays a gap while it is down, so an outage is never taken for an idle queue.

export interface QueueSignal {
  /** PromQL returning the tasks waiting (one or more series, summed). */
  query: string;
  /** Tasks one worker pod takes at a time (Celery concurrency x prefetch), >= 1. */
  tasksPerWorker: number;
  /** Requests of one worker pod (or Job), in the pool's resource unit (cores or bytes). */
  workerRequests: number;
  /** PromQL that is 1 while the queue's source is scraped (e.g. up{job="redis-exporter"}). */
  up?: string;
}

/** The requests query a queue signal stands for. */
export function queueRequestsQuery(q: QueueSignal): string {
  if (!(q.tasksPerWorker >= 1)) throw new RangeError(`queue.tasksPerWorker must be >= 1, got ${q.tasksPerWorker}`);
  if (!(q.workerRequests > 0)) throw new RangeError(`queue.workerRequests must be > 0, got ${q.workerRequests}`);
  const tasks = q.up ? `(sum(${q.query}) or (0 * sum(${q.up} == 1)))` : `sum(${q.query})`;
  return `ceil(${tasks} / ${q.tasksPerWorker}) * ${q.workerRequests}`;
}
