/**
 * Every text input of every route is checked for characters no input may hold (NUL, unpaired
 * surrogates: `core/text-input.ts`) before its schema runs, so no route can forget it and none of
 * them reaches PostgreSQL, which would refuse the value with an internal error.
 */
import type { FastifyInstance } from 'fastify';
import { refuseUnsafeText } from '../core/text-input.js';

export function registerTextInputCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    refuseUnsafeText(request.params, 'params');
    refuseUnsafeText(request.query, 'querystring');
    refuseUnsafeText(request.body, 'body');
  });
}
