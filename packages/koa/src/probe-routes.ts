import { instrumentOnce, swapHandlers, type ProbeTarget } from '@tollgate/core';
import type Koa from 'koa';
import type { Context, Next } from 'koa';
import { describeRoutes } from './describe-routes.js';

/**
 * Prepares a Koa 2 or 3 app for `tollgate audit --probe`: reads its route report, then swaps
 * every route's own functions for recorders that answer at once, every opaque app middleware
 * (its paths cannot be read) for one that records and calls `next`, and `router.param`
 * callbacks for ones that only call `next`. The app's handlers never
 * run again in this process: use it on an app loaded for the probe only. A second call for
 * the same app returns the first one's target.
 */
export function probeRoutes(app: Koa): ProbeTarget {
  return instrumentOnce(app, () => instrument(app));
}

function instrument(app: Koa): ProbeTarget {
  const routes = describeRoutes(app);
  const takeReached = swapHandlers(routes, {
    recorder: (record) => function tollgateProbeRecorder(ctx: Context) {
      record();
      ctx.status = 200;
      ctx.set('x-tollgate-probe', 'reached');
      ctx.body = '';
    },
    observer: (record) => function tollgateProbeObserver(_ctx: Context, next: Next) {
      record();
      return next();
    },
    // @koa/router finds its param middleware by this `param` property.
    passThrough: (original) => Object.assign(function tollgateProbeParam(_ctx: Context, next: Next) { return next(); }, { param: (original as { param?: unknown }).param }),
    errorPassThrough: (original) => original,
  });
  return { routes, listener: app.callback() as unknown as ProbeTarget['listener'], takeReached };
}
