/**
 * Gives a Buffer's memory back at once instead of at the next garbage collection.
 *
 * Every Buffer larger than Node's pool slice has its own ArrayBuffer outside the JavaScript heap,
 * and V8 starts a full collection (tracing the whole heap) after every 64 MB of such memory. A
 * stream that allocates per megabyte (AES-GCM output is a fresh Buffer per segment) thus pays for
 * several full collections per 100 MB. Detaching the ArrayBuffer with `transfer(0)` frees it
 * immediately and takes it out of that count.
 *
 * Only for a Buffer the caller owns outright: nothing else may hold it or a view of it. A Buffer
 * that is a view into a larger ArrayBuffer (Node's pool, a socket read) is left alone.
 */
export function releaseBuffer(buffer: Buffer): void {
  const backing = buffer.buffer;
  if (
    backing instanceof ArrayBuffer &&
    !backing.detached && // freed already
    buffer.byteOffset === 0 &&
    backing.byteLength === buffer.length
  ) {
    backing.transfer(0);
  }
}
