import type { AuthContext } from '@tollgate/core';

declare module 'koa' {
  // Declaration merging: `ctx.state.auth` is typed in every Koa app that imports @tollgate/koa.
  interface DefaultState {
    /** Set by Tollgate's `authenticate` once the token is verified. */
    auth?: AuthContext;
  }
}

export {};
