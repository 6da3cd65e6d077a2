import { metricsRegistry, type TollgateMetrics } from '@tollgate/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Serves `metrics.registry` in the Prometheus text format, for a scraper. Mount it where only
 * the scraper reaches it (an internal port, or behind `authenticate`): it tells how the API is used.
 *
 * @example
 * const metrics = tollgateMetrics();
 * app.use(authenticate({ ...options, audit: metrics.sink }));
 * app.get('/metrics', metricsEndpoint(metrics));
 */
export function metricsEndpoint(metrics: Pick<TollgateMetrics, 'registry'>): RequestHandler {
  const registry = metricsRegistry(metrics, 'metricsEndpoint');
  return function tollgateMetricsEndpoint(_req: Request, res: Response, next: NextFunction): void {
    registry.metrics().then((text) => {
      res.set('Content-Type', registry.contentType).send(text);
    }, next);
  };
}
