import type { AuthContext } from '@tollgate/core';

declare global {
  // Declaration merging: `req.auth` is typed in every Express app that imports @tollgate/express.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by Tollgate's `authenticate` once the token is verified. */
      auth?: AuthContext;
    }
  }
}

export {};
