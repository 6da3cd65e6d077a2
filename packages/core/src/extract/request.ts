/**
 * The minimal request shape core works on. Adapters translate their framework's request into it.
 */
export interface TollgateRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The request target as received: path and query (`/v1/orders?x=1`). */
  url: string;
  /** Request headers, names lower-case (Node's `IncomingMessage.headers`). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed query string, when the framework parsed it. */
  query?: unknown;
  /** Parsed body, when a body parser ran. */
  body?: unknown;
  /** Parsed cookies, when a cookie parser ran; otherwise the `Cookie` header is read. */
  cookies?: unknown;
  /**
   * The public origin (`https://api.example.com`) as the framework's proxy rules establish it.
   * Used for DPoP `htu` checks when no origin is configured.
   */
  origin?: string;
  /**
   * The client's address as the framework's trust-proxy rules give it (Express `req.ip`, Koa
   * `ctx.ip`): a forwarded header only when the app trusts the proxy. Anomaly signals count by it.
   */
  ip?: string;
  /** The DER bytes of the TLS client certificate of the connection, when one was presented (RFC 8705). */
  clientCertificate?: Uint8Array | undefined;
  /**
   * Whether the framework's trust-proxy setting trusts the peer this request came from, so that
   * headers a proxy sets (a forwarded client certificate) may be believed. Default: not trusted.
   */
  trustsProxy?: boolean;
}

/** Reads one header as a single string; a repeated header yields `undefined` plus `repeated`. */
export function headerValue(req: TollgateRequest, name: string): { value: string | undefined; repeated: boolean } {
  const raw = req.headers[name];
  if (Array.isArray(raw)) return raw.length === 1 ? { value: raw[0], repeated: false } : { value: undefined, repeated: raw.length > 1 };
  return { value: raw, repeated: false };
}

/** The path of the request target, without the query (which may hold a token). */
export function requestPath(req: TollgateRequest): string {
  const q = req.url.indexOf('?');
  return q === -1 ? req.url : req.url.slice(0, q);
}

/**
 * True for a CORS preflight: `OPTIONS` with `Access-Control-Request-Method`. A preflight carries
 * no credentials, so `authenticate` and `protect` answer one that reaches them with 204 themselves
 * and never pass it on: a handler registered with `all` or `use` must not run without a token.
 * CORS middleware placed before Tollgate answers preflights with the headers a browser needs.
 */
export function isPreflight(req: TollgateRequest): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
}
