/**
 * Bedrock exceptions as the emulator raises them. The HTTP layer turns a thrown `BedrockException`
 * into the rest-json error wire format of bedrock-wire.md §8: the status, `x-amzn-ErrorType: <name>`
 * and the body `{"message": ...}`.
 */

/** HTTP status of each Bedrock runtime / control-plane exception (service model, bedrock-wire.md §8). */
export const EXCEPTION_STATUS: Readonly<Record<string, number>> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 400,
  ConflictException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ExpiredTokenException: 403,
  MissingAuthenticationTokenException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

/** A Bedrock exception: `name` is the wire error type (e.g. `ValidationException`). */
export class BedrockException extends Error {
  /** HTTP status the exception is sent with. */
  readonly status: number;
  /** Extra members serialised next to `message` (e.g. `originalStatusCode` of ModelErrorException). */
  readonly extra: Readonly<Record<string, unknown>>;
  /**
   * Bedrock API-key failures answer with `{"Message": ...}` (capital M) rather than `{"message": ...}`
   * (bedrock-wire.md §8, front-door errors); set for those.
   */
  readonly capitalMessage: boolean;

  constructor(
    name: string,
    message: string,
    status?: number,
    options?: { extra?: Record<string, unknown>; capitalMessage?: boolean },
  ) {
    super(message);
    this.name = name;
    this.status = status ?? EXCEPTION_STATUS[name] ?? 400;
    this.extra = options?.extra ?? {};
    this.capitalMessage = options?.capitalMessage ?? false;
  }

  /** The JSON error body as Bedrock writes it. */
  toBody(): Record<string, unknown> {
    return this.capitalMessage ? { Message: this.message, ...this.extra } : { message: this.message, ...this.extra };
  }
}

/** A 400 ValidationException with Bedrock's message. */
export function validationException(message: string): BedrockException {
  return new BedrockException('ValidationException', message, 400);
}

/**
 * AWS's generic shape-violation message (`1 validation error detected: Value '...' at '...' failed to
 * satisfy constraint: ...`), used for enum / length / range violations of the service model.
 */
export function constraintException(violations: readonly ConstraintViolation[]): BedrockException {
  const n = violations.length;
  const parts = violations.map(
    (v) =>
      `Value ${v.value === null ? 'null' : `'${v.value}'`} at '${coralPath(v.path)}' failed to satisfy constraint: ${v.constraint}`,
  );
  return validationException(`${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`);
}

/**
 * The service framework writes list positions 1-based with a `member` segment
 * (`toolConfig.tools.1.member.toolSpec.name` for the first tool), unlike Bedrock's own messages, which
 * say `messages.0.content.1`; `path` is given in the 0-based form and converted here.
 */
export function coralPath(path: string): string {
  return path
    .split('.')
    .map((segment) => (/^\d+$/.test(segment) ? `${Number(segment) + 1}.member` : segment))
    .join('.');
}

/** One violated service-model constraint. */
export interface ConstraintViolation {
  /** 0-based dotted path (`messages.0.role`). */
  readonly path: string;
  /** The offending value; `null` for a missing required member (written unquoted, as AWS does). */
  readonly value: string | null;
  readonly constraint: string;
}

/** The message real Bedrock returns for a model id it does not know (bedrock-wire.md §1). */
export const INVALID_MODEL_MESSAGE = 'The provided model identifier is invalid.';
