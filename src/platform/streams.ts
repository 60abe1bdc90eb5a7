/** Looking at the start of a stream before deciding what to do with all of it. */

export interface StreamHead {
  readonly chunks: readonly Buffer[];
  readonly length: number;
  /** The source ended within the head. */
  readonly done: boolean;
}

/** Reads chunks from `source` until at least `bytes` have arrived or it ends. */
export async function readHead(source: AsyncIterator<Buffer>, bytes: number): Promise<StreamHead> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await source.next();
    if (next.done) return { chunks, length, done: true };
    chunks.push(next.value);
    length += next.value.length;
  }
  return { chunks, length, done: false };
}

/** The whole stream again: the head's chunks, then the rest of `source`. */
export async function* withHead(head: StreamHead, source: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head.chunks;
  if (head.done) return;
  for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
}
