import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { ensureSearchAttributes } from '../temporal/register-search-attributes';
import { loadTemporalSettings } from '../temporal/config';
import { createLogger, TemporalPinoLogger } from './logging';
import { createWorker } from './create-worker';

export interface WorkerCommandOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  /** host:port for a Prometheus scrape endpoint; also ASRFLOW_METRICS_ADDRESS. */
  metricsAddress?: string;
}

/**
 * Runs the worker until SIGINT/SIGTERM. The Temporal runtime owns those signals: it stops
 * polling, lets in-flight activities finish for the grace time, then cancels them (heartbeating
 * activities see the cancellation and stop cleanly) before the process exits.
 */
export async function runWorker(options: WorkerCommandOptions = {}): Promise<void> {
  const logger = createLogger({ name: 'asrflow-worker' });
  const metricsAddress = options.metricsAddress ?? process.env.ASRFLOW_METRICS_ADDRESS;
  Runtime.install({
    logger: new TemporalPinoLogger(logger),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} },
      ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : {}),
    },
  });
  const settings = loadTemporalSettings(process.env, options);
  const { worker, connection, budgetShare } = await createWorker({ settings, logger });
  // Workflows cannot start without the search attributes; a worker is what every deployment runs.
  const attributes = await ensureSearchAttributes(connection, settings.namespace);
  if (!attributes.ok) logger.warn(attributes.problem);
  else if (attributes.added.length > 0)
    logger.info({ namespace: settings.namespace, added: attributes.added }, 'registered search attributes');
  logger.info({ temporal: settings.describe(), metrics: metricsAddress ?? 'off' }, 'worker started');
  try {
    await worker.run();
  } finally {
    budgetShare.stop();
    await connection.close();
    logger.info('worker stopped');
  }
}
