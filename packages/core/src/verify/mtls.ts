import { hash, X509Certificate } from 'node:crypto';
import type { AuthContext } from '../context.js';
import type { Challenge } from '../errors/challenge.js';
import { TollgateError } from '../errors/errors.js';
import { assertKnownOptions, setupError } from '../errors/setup-error.js';
import { headerValue, type TollgateRequest } from '../extract/request.js';

/** Certificate-bound access tokens, RFC 8705 §3. */
export interface MtlsOptions {
  /** Refuse tokens that are not bound to a certificate (`cnf["x5t#S256"]`). Default false. */
  required?: boolean;
  /**
   * The header in which a TLS-terminating proxy forwards the client certificate (URL-encoded
   * PEM, e.g. `x-client-cert`). Read only when the framework's trust-proxy setting trusts the
   * proxy the request came through. Default: none, only the TLS connection's own certificate.
   */
  certificateHeader?: string;
}

/** {@link MtlsOptions}, validated and frozen. */
export interface ParsedMtlsOptions {
  readonly required: boolean;
  readonly certificateHeader: string | undefined;
}

/** Validates `authenticate`'s `mtls` option once, at setup. */
export function parseMtlsOptions(value: MtlsOptions): ParsedMtlsOptions {
  if (typeof value !== 'object' || value === null) return setupError('ERR_TOLLGATE_INVALID_OPTION', 'mtls must be an object');
  assertKnownOptions(value, ['required', 'certificateHeader'], 'mtls');
  if (value.required !== undefined && typeof value.required !== 'boolean') setupError('ERR_TOLLGATE_INVALID_OPTION', 'mtls.required must be a boolean');
  const header = value.certificateHeader;
  if (header !== undefined && (typeof header !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header))) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', 'mtls.certificateHeader must be a header name');
  }
  return Object.freeze({ required: value.required ?? false, certificateHeader: header?.toLowerCase() });
}

/**
 * The DER bytes of the client certificate of a TLS socket (`req.socket` in Express,
 * `ctx.req.socket` in Koa), or `undefined` on a plain connection or when the client sent none.
 * The binding is checked by thumbprint, so a self-signed certificate serves (RFC 8705 §2.2).
 */
export function tlsClientCertificate(socket: unknown): Uint8Array | undefined {
  const tls = socket as { getPeerCertificate?: () => { raw?: unknown } | null } | null;
  if (typeof tls?.getPeerCertificate !== 'function') return undefined;
  const raw = tls.getPeerCertificate()?.raw;
  return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined;
}

/** The certificate a forwarding proxy put in `header`, as DER; `null` when the header is there but unreadable. */
function forwardedCertificate(req: TollgateRequest, header: string): Uint8Array | null | undefined {
  const { value, repeated } = headerValue(req, header);
  if (repeated) return null;
  if (value === undefined || value === '') return undefined;
  try {
    return new X509Certificate(decodeURIComponent(value)).raw;
  } catch {
    return null;
  }
}

/** RFC 8705 §3.1: base64url of the SHA-256 of the certificate's DER encoding. */
export function certificateThumbprint(der: Uint8Array): string {
  return hash('sha256', der, 'base64url');
}

/**
 * RFC 8705 §3: a certificate-bound token passes only over a connection that presents the same
 * certificate; `required` refuses tokens without a binding. Each refusal is a 401 `invalid_token`.
 */
export function checkCertificateBinding(req: TollgateRequest, auth: AuthContext, options: ParsedMtlsOptions, challenges: readonly Challenge[]): void {
  const refuse = (description: string, reason: 'certificate_required' | 'certificate_mismatch') =>
    new TollgateError('invalid_token', description, { reason, challenge: [...challenges] });
  if (auth.x5t === undefined) {
    if (options.required) throw refuse('This resource needs a certificate-bound access token', 'certificate_required');
    return;
  }
  // A forwarded certificate counts only when the proxy is trusted; otherwise anyone could send the header.
  const forwarded = options.certificateHeader !== undefined && req.trustsProxy === true ? forwardedCertificate(req, options.certificateHeader) : undefined;
  if (forwarded === null) throw refuse('The forwarded client certificate is unreadable', 'certificate_mismatch');
  const der = forwarded ?? req.clientCertificate;
  if (der === undefined) throw refuse('The access token is bound to a client certificate, and none was presented', 'certificate_mismatch');
  if (certificateThumbprint(der) !== auth.x5t) throw refuse('The access token is bound to another client certificate', 'certificate_mismatch');
}
