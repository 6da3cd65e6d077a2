import { metricsRegistry, type TollgateMetrics } from '@tollgate/core';
import type { Context, Middleware } from 'koa';

/**
 * Serves `metrics.registry` in the Prometheus text format, for a scraper. Mount it where only
 * the scraper reaches it (an internal port, or behind `authenticate`): it tells how the API is used.
 *
 * @example
 * const metrics = tollgateMetrics();
 * router.get('/metrics', metricsEndpoint(metrics));
 */
export function metricsEndpoint(metrics: Pick<TollgateMetrics, 'registry'>): Middleware {
  const registry = metricsRegistry(metrics, 'metricsEndpoint');
  return async function tollgateMetricsEndpoint(ctx: Context): Promise<void> {
    const text = await registry.metrics();
    ctx.type = registry.contentType;
    ctx.body = text;
  };
}
