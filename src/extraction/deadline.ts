import { ExtractionError } from './errors.js';

/**
 * A cooperative time budget: long stages call `check()` between pages, because synchronous WASM
 * work cannot be interrupted from outside.
 */
export class Deadline {
  private readonly start: number;

  constructor(
    private readonly now: () => number,
    private readonly budgetMs: number,
  ) {
    this.start = now();
  }

  elapsedMs(): number {
    return this.now() - this.start;
  }

  check(stage: string): void {
    if (this.elapsedMs() > this.budgetMs) {
      throw new ExtractionError('timeout', `extraction exceeded ${this.budgetMs} ms during ${stage}`);
    }
  }
}
