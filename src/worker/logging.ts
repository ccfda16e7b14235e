import pino, { type Logger as PinoLogger } from 'pino';
import { ApplicationFailure, type LogLevel, type LogMetadata, type Logger } from '@temporalio/common';

// Keys that could carry a credential anywhere in a log object. pino removes them before
// serialising, so a careless `log.info({ options })` cannot leak a secret.
const REDACT_PATHS = [
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'pfx',
  '*.pfx',
  'managementCert',
  '*.managementCert',
  'privateKey',
  '*.privateKey',
];

export function createLogger(
  options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): PinoLogger {
  return pino(
    {
      name: options.name ?? 'asrflow',
      level: options.level ?? process.env.ASRFLOW_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    // pino accepts any writable stream; its typings want its own DestinationStream.
    options.destination as pino.DestinationStream | undefined,
  );
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Lets the Temporal runtime (SDK and forwarded Rust core logs) write through pino. */
export class TemporalPinoLogger implements Logger {
  constructor(private readonly pino: PinoLogger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    // The SDK logs a failed activity as { error } — an Error whose message and type JSON drops
    // (they are not enumerable), so the line said "Activity failed" and nothing else.
    const error: unknown = meta?.error;
    if (error instanceof Error) {
      const summary = failureSummary(error);
      this.pino[LEVELS[level]](
        { ...meta, error: summary },
        `${message}: ${summary.type}: ${summary.message}${summary.requestId ? ` (x-ms-request-id ${summary.requestId})` : ''}`,
      );
      return;
    }
    this.pino[LEVELS[level]](meta ?? {}, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

export interface FailureSummary {
  type: string;
  message: string;
  code?: string;
  statusCode?: number;
  requestId?: string;
  correlationRequestId?: string;
}

/**
 * What a log line says about a failure: its type, message, and Azure's request ids when the
 * failure came from an Azure answer (classifyAzureError puts them in the details). Only these
 * fields, never the details as a whole, so nothing else an activity attached reaches the log.
 */
export function failureSummary(error: Error): FailureSummary {
  if (error instanceof ApplicationFailure) {
    const d = (error.details?.[0] ?? {}) as Partial<Record<'code' | 'requestId' | 'correlationRequestId', unknown>> & {
      statusCode?: unknown;
    };
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const code = text(d.code);
    const requestId = text(d.requestId);
    const correlationRequestId = text(d.correlationRequestId);
    return {
      type: error.type ?? 'ApplicationFailure',
      message: error.message,
      ...(code ? { code } : {}),
      ...(typeof d.statusCode === 'number' ? { statusCode: d.statusCode } : {}),
      ...(requestId ? { requestId } : {}),
      ...(correlationRequestId ? { correlationRequestId } : {}),
    };
  }
  return { type: error.name, message: error.message };
}
