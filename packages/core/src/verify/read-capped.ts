/** Why a body was not read: the server sent none, or more than the cap allows. */
export type BodyProblem = 'no body' | 'too large';

/**
 * Reads a response body of at most `maxBytes` as UTF-8 text, for documents from another server
 * (a JWKS, discovery metadata, an introspection answer): past the cap the transfer is cancelled,
 * so an endless body cannot fill the heap. A declared `content-length` over the cap is refused
 * before anything is read. Failures are thrown as the caller's own error, made by `fail`.
 */
export async function readCappedText(response: Response, maxBytes: number, fail: (problem: BodyProblem) => Error): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body?.cancel().catch(() => { /* not read */ });
    throw fail('too large');
  }
  const reader = response.body?.getReader();
  if (reader === undefined) throw fail('no body');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => { /* the connection is dropped either way */ });
      throw fail('too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
