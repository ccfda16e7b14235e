import pino, { type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

// Keys that could carry a credential anywhere in a log object. pino removes them before
// serialising, so a careless `log.info({ options })` cannot leak a secret.
const REDACT_PATHS = [
  'clientSecret', '*.clientSecret', 'secret', '*.secret', 'apiKey', '*.apiKey', 'password', '*.password',
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'pfx', '*.pfx',
  'managementCert', '*.managementCert', 'privateKey', '*.privateKey',
];

export function createLogger(options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): PinoLogger {
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
