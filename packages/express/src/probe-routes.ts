import { instrumentOnce, swapHandlers, type ProbeTarget } from '@tollgate/core';
import type { Application, NextFunction, Request, Response } from 'express';
import { describeRoutes } from './describe-routes.js';

/**
 * Prepares an Express 4 or 5 app for `tollgate audit --probe`: reads its route report, then
 * swaps every route's own functions (and every mounted sub-app) for recorders that answer at
 * once, and param callbacks for ones that only call `next`. The app's handlers never run
 * again in this process: use it on an app loaded for the probe only. A second call for the
 * same app returns the first one's target.
 */
export function probeRoutes(app: Application): ProbeTarget {
  return instrumentOnce(app, () => instrument(app));
}

function instrument(app: Application): ProbeTarget {
  const routes = describeRoutes(app);
  const takeReached = swapHandlers(routes, {
    recorder: (record) => function tollgateProbeRecorder(_req: Request, res: Response) {
      record();
      res.statusCode = 200;
      res.setHeader('x-tollgate-probe', 'reached');
      res.end();
    },
    observer: (record) => function tollgateProbeObserver(_req: Request, _res: Response, next: NextFunction) {
      record();
      next();
    },
    passThrough: () => function tollgateProbeParam(_req: Request, _res: Response, next: NextFunction) { next(); },
    errorPassThrough: () => function tollgateProbeError(err: unknown, _req: Request, _res: Response, next: NextFunction) { next(err); },
  });
  // Express logs every error it handles itself (a 401 too) unless its env is `test`.
  app.set('env', 'test');
  return { routes, listener: app as unknown as ProbeTarget['listener'], takeReached };
}
