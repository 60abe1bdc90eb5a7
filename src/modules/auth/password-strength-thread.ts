/**
 * Entry of the password-strength worker thread: zxcvbn with its common-password and English
 * dictionaries. See password-strength.ts for why it runs in a thread of its own.
 */
import { parentPort } from 'node:worker_threads';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';

export interface StrengthRequest {
  readonly id: number;
  readonly password: string;
  /** Words the password must not lean on (the person's email, name, firm). */
  readonly userInputs: readonly string[];
}

export type StrengthReply =
  | { readonly id: number; readonly score: number; readonly warning: string | null }
  | { readonly id: number; readonly error: string };

const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
  graphs: zxcvbnCommon.adjacencyGraphs,
  translations: zxcvbnEn.translations,
});

parentPort?.on('message', (request: StrengthRequest) => {
  let reply: StrengthReply;
  try {
    const { score, feedback } = zxcvbn.check(request.password, [...request.userInputs]);
    reply = { id: request.id, score, warning: feedback.warning };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
});
