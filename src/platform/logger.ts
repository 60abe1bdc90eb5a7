/**
 * pino JSON logging with secrets redacted wherever they appear in a logged object: headers that
 * carry credentials, and any property named like a password, token, secret or one-time code, at
 * any of the first three levels of nesting (pino's redaction needs explicit paths).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { activeTraceIds } from './tracing.js';

/** Header paths as Fastify's serializers and our own log lines name them. */
const SECRET_HEADER_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/** Property names that hold secrets, redacted at the top level and two levels down. */
const SECRET_KEYS = [
  'authorization',
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'sessionToken',
  'challengeToken',
  'resetToken',
  'inviteToken',
  'secret',
  'totpSecret',
  'code',
  'totpCode',
  'recoveryCode',
  'recoveryCodes',
  'apiKey',
  'connectionString',
  'privateKey',
];

const REDACT_PATHS = [
  ...SECRET_HEADER_PATHS,
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/** Query-string parameters whose values are dropped from logged URLs. */
const SECRET_QUERY = /([?&](?:token|code|secret|password|key|sig|signature)=)[^&]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]');
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    base: { service: 'doklad' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // traceId/spanId of the active span, so a log line leads to its trace (nothing when untraced).
    mixin: activeTraceIds,
    serializers: {
      // Only what identifies a request: never its headers or body.
      req: (req: { method?: string; url?: string; ip?: string }) => ({
        method: req.method,
        url: req.url === undefined ? undefined : redactUrl(req.url),
        ip: req.ip,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
