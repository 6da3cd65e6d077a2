import { tlsClientCertificate, type TollgateRequest } from '@tollgate/core';
import type { Request } from 'express';

const UNREAD = Symbol('unread');

/**
 * Core's view of an Express request: every field is read from the request when core asks, so a
 * route that never looks at query, body or cookies does not pay Express 5's lazy query parsing,
 * and a view costs one small object (its getters live on the prototype, not on each view).
 */
class ExpressRequestView implements TollgateRequest {
  readonly #req: Request;
  /** `req.ip` once read: Express works it out again (trust proxy, `X-Forwarded-For`) on every read. */
  #ip: string | undefined | typeof UNREAD = UNREAD;

  constructor(req: Request) {
    this.#req = req;
  }

  get method(): string {
    return this.#req.method;
  }

  get url(): string {
    return this.#req.originalUrl ?? this.#req.url;
  }

  get headers(): TollgateRequest['headers'] {
    return this.#req.headers;
  }

  get query(): unknown {
    return this.#req.query;
  }

  get body(): unknown {
    return this.#req.body as unknown;
  }

  get cookies(): unknown {
    return (this.#req as { cookies?: unknown }).cookies;
  }

  /** `req.ip`: the socket's address, or a forwarded one only where `trust proxy` trusts the proxy. */
  get ip(): string | undefined {
    if (this.#ip === UNREAD) this.#ip = this.#req.ip;
    return this.#ip;
  }

  /** The public origin as the app's `trust proxy` setting establishes it (DPoP `htu` checks). */
  get origin(): string | undefined {
    const host = publicHost(this.#req);
    return host === undefined ? undefined : `${this.#req.protocol}://${host}`;
  }

  get clientCertificate(): Uint8Array | undefined {
    return tlsClientCertificate(this.#req.socket);
  }

  /** Whether `trust proxy` trusts the peer, as Express itself decides for `X-Forwarded-*`. */
  get trustsProxy(): boolean {
    return trustsPeer(this.#req);
  }
}

export function toTollgateRequest(req: Request): TollgateRequest {
  return new ExpressRequestView(req);
}

/**
 * Host and port as Express 5's `req.host` gives them: `X-Forwarded-Host` only when the app
 * trusts the proxy it came through, else the `Host` header. Express 4 has no such getter (its
 * `req.host` drops the port), so the same rule is applied here.
 */
function publicHost(req: Request): string | undefined {
  const forwarded = req.get('x-forwarded-host');
  if (forwarded !== undefined && trustsPeer(req)) {
    return forwarded.split(',', 1)[0]!.trim();
  }
  return req.get('host');
}

function trustsPeer(req: Request): boolean {
  const trust = req.app?.get('trust proxy fn') as ((address: string | undefined, hop: number) => boolean) | undefined;
  return trust !== undefined && trust(req.socket.remoteAddress, 0);
}
