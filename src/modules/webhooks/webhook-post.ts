/**
 * One signed POST to a checked delivery target (webhook-target.ts), shared by webhook deliveries
 * and the audit log's off-box sink. It connects to the address that was checked, whatever DNS
 * says now, so a rebinding answer cannot redirect it, and gives up after `timeoutMs`.
 */
import http from 'node:http';
import https from 'node:https';
import type { DeliveryTarget } from './webhook-target.js';

/** Resolves with the HTTP status; rejects on network errors and timeouts. */
export function postToTarget(
  target: DeliveryTarget,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<number> {
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Doklad-Webhooks/1', ...headers },
        timeout: timeoutMs,
        lookup: (_host, _options, callback) => callback(null, target.address, target.family),
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
