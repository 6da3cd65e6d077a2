import { tlsClientCertificate, type TollgateRequest } from '@tollgate/core';
import type { Context } from 'koa';

/**
 * Core's view of a Koa request: every field is read from the context when core asks, so a route
 * that never looks at query or body does not pay for parsing, and a view costs one small object.
 * Cookies are left to core, which reads the `Cookie` header.
 */
class KoaRequestView implements TollgateRequest {
  readonly #ctx: Context;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  get method(): string {
    return this.#ctx.method;
  }

  get url(): string {
    return this.#ctx.originalUrl;
  }

  get headers(): TollgateRequest['headers'] {
    return this.#ctx.headers;
  }

  get query(): unknown {
    return this.#ctx.query;
  }

  /** Set by a body parser (@koa/bodyparser, koa-body), when one ran before. */
  get body(): unknown {
    return (this.#ctx.request as { body?: unknown }).body;
  }

  /** `ctx.ip`: the socket's address, or `X-Forwarded-For`'s only when `app.proxy` is on. */
  get ip(): string | undefined {
    const { ip } = this.#ctx;
    return ip === '' ? undefined : ip;
  }

  /** `ctx.protocol` and `ctx.host` follow the app's `proxy` setting. */
  get origin(): string | undefined {
    const host = this.#ctx.host;
    return host === '' ? undefined : `${this.#ctx.protocol}://${host}`;
  }

  get clientCertificate(): Uint8Array | undefined {
    return tlsClientCertificate(this.#ctx.req.socket);
  }

  /** Koa trusts a proxy's headers under `app.proxy`. */
  get trustsProxy(): boolean {
    return this.#ctx.app.proxy;
  }
}

export function toTollgateRequest(ctx: Context): TollgateRequest {
  return new KoaRequestView(ctx);
}
