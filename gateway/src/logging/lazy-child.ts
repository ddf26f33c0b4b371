import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

type Parent = Pick<Logger, 'child' | 'isLevelEnabled' | 'level'>;

/**
 * A child logger whose pino child is made by its first line at an enabled level. The server gives every
 * request a child bound to its request id, yet most requests never log a line; making the pino child (and
 * running the bindings through the secret redaction) for each of them was a measurable share of a request's
 * CPU. Lines, levels and bindings are exactly the eager child's.
 */
export class LazyChildLogger {
  readonly #parent: Parent;
  readonly #bindings: Bindings;
  #child: Logger | undefined;

  constructor(parent: Parent, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.#real().bindings();
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#real().child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#log('error', args);
  }

  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }

  info(...args: unknown[]): void {
    this.#log('info', args);
  }

  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }

  silent(): void {}

  #log(level: Level, args: unknown[]): void {
    if (this.#child === undefined && !this.#parent.isLevelEnabled(level)) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  #real(): Logger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }
}
