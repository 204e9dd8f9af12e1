import type * as z from 'zod';

/** Stable machine-readable error codes. */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'POLICY'
  | 'SIGNATURE'
  | 'STORAGE'
  | 'DELIVERY';

/**
 * Base class of every error Threadline throws. `code` is stable across releases; guard with
 * {@link isThreadlineError} (it compares `name`, so it works across realms and bundles).
 */
export class ThreadlineError extends Error {
  /** A stable code for programmatic handling. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ThreadlineError';
    this.code = code;
  }
}

/** One validation problem: the field path and what is wrong with it. */
export interface ValidationIssue {
  /** Path of the offending field, e.g. `['from', 'value']`. */
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

/**
 * Input did not match its schema. The message names every offending field path, e.g.
 * `Invalid inbound message: from.value: not a valid phone number`.
 */
export class ValidationError extends ThreadlineError {
  /** Every problem found, with its field path. */
  readonly issues: ValidationIssue[];
  constructor(what: string, issues: ValidationIssue[], options?: { cause?: unknown }) {
    const detail = issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
    super('VALIDATION', `Invalid ${what}: ${detail}`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }

  /** The first offending field path as a dotted string (`from.value`), or `(root)`. */
  get field(): string {
    return formatPath(this.issues[0]?.path ?? []);
  }

  /** Builds a ValidationError from a zod error. */
  static fromZod(what: string, error: z.core.$ZodError): ValidationError {
    return new ValidationError(
      what,
      error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
      { cause: error },
    );
  }
}

/** A record that was asked for does not exist. */
export class NotFoundError extends ThreadlineError {
  constructor(message: string) {
    super('NOT_FOUND', message);
    this.name = 'NotFoundError';
  }
}

/**
 * A concurrent change won: an optimistic version did not match, or a unique key is taken.
 * `retryable` says whether the same call, run again on fresh state, may succeed: true for a lost
 * race (the desk retries those itself before one reaches you), false for a state that stays (a
 * merge already undone, a customer merged into another, an `expectedVersion` that is behind).
 */
export class ConflictError extends ThreadlineError {
  /** Whether the same call, run again on fresh state, may succeed (false: the conflict stays). */
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super('CONFLICT', message, options);
    this.name = 'ConflictError';
    this.retryable = options?.retryable ?? true;
  }
}

/** A channel or desk rule forbids the operation (e.g. WhatsApp's 24-hour window). */
export class PolicyError extends ThreadlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('POLICY', message, options);
    this.name = 'PolicyError';
  }
}

/** A webhook's signature (or secret token) did not verify. */
export class SignatureError extends ThreadlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SIGNATURE', message, options);
    this.name = 'SignatureError';
  }
}

/** A store could not read or write (quota, corruption, lock held by another process). */
export class StorageError extends ThreadlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE', message, options);
    this.name = 'StorageError';
  }
}

/**
 * An outbound send failed. `retryable` says whether the outbox should try again
 * (network error, 429, 5xx) and `retryAfterMs` honours the provider's Retry-After.
 */
export class DeliveryError extends ThreadlineError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** HTTP status of the provider's answer, when there was one. */
  readonly status: number | undefined;
  /** The provider's own error code, when it gave one. */
  readonly providerCode: string | undefined;
  constructor(
    message: string,
    details: {
      retryable: boolean;
      retryAfterMs?: number;
      status?: number;
      providerCode?: string;
      cause?: unknown;
    },
  ) {
    super('DELIVERY', message, { cause: details.cause });
    this.name = 'DeliveryError';
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
    this.providerCode = details.providerCode;
  }
}

const names = new Set([
  'ThreadlineError',
  'ValidationError',
  'NotFoundError',
  'ConflictError',
  'PolicyError',
  'SignatureError',
  'StorageError',
  'DeliveryError',
]);

/** True for any Threadline error, across realms and duplicated bundles. */
export function isThreadlineError(value: unknown): value is ThreadlineError {
  return (
    value instanceof Error && names.has(value.name) && typeof (value as ThreadlineError).code === 'string'
  );
}
