import type * as z from 'zod';
import { ValidationError, type ValidationIssue } from '../../model/errors.js';
import type { InboundEvent } from '../../model/inbound.js';

type Path = PropertyKey[];

/**
 * Reads the items of one Meta webhook delivery (WhatsApp messages and statuses, Messenger and
 * Instagram `messaging[]` events) one at a time. Meta batches many items in one delivery and
 * retries a refused delivery for up to 36 hours before dropping it, so an item that cannot be
 * read becomes a `skipped` event naming its field instead of a refusal that would lose every
 * valid item delivered with it. When every item of a delivery is unreadable, {@link finish}
 * throws the first item's error: a broken integration stays loud (answered 400).
 */
export class BatchReader {
  private readonly events: InboundEvent[] = [];
  /** Items read (whether they yielded events or were ignored). */
  private read = 0;
  private firstError: ValidationError | undefined;

  /** `what` names the webhook in the error thrown when nothing could be read (`whatsapp webhook`). */
  constructor(private readonly what: string) {}

  /**
   * Parses a container of items (an entry, a change's value, a `messages` array) at `path`. When it
   * cannot be read, its items are unreadable too: it is skipped as one item and undefined returned.
   */
  container<T extends z.ZodType>(
    noun: string,
    path: Path,
    schema: T,
    value: unknown,
  ): z.output<T> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    this.skipItem(noun, path, result.error.issues, result.error);
    return undefined;
  }

  /**
   * Reads one item at `path`: `build` returns its events, or throws a `ValidationError` whose
   * paths are relative to the item, which skips it. Any other error is a bug and propagates.
   */
  item(noun: string, path: Path, build: () => InboundEvent[]): void {
    let events: InboundEvent[];
    try {
      events = build();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.skipItem(noun, path, error.issues, error);
      return;
    }
    this.read += 1;
    this.events.push(...events);
  }

  /**
   * Parses a piece that items lean on but that is no item itself (WhatsApp `contacts[]`, whose
   * profile names become display names). When it cannot be read it is reported as skipped, with
   * `consequence` saying what the items lose, and undefined is returned; no item is skipped.
   */
  piece<T extends z.ZodType>(
    noun: string,
    path: Path,
    schema: T,
    value: unknown,
    consequence: string,
  ): z.output<T> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    this.report(noun, path, result.error.issues, result.error, `; ${consequence}`);
    return undefined;
  }

  /**
   * The events read, `skipped` ones in their place.
   * @throws ValidationError (the first unreadable item's) when items were found and none could be read.
   */
  finish(): InboundEvent[] {
    if (this.read === 0 && this.firstError) throw this.firstError;
    return this.events;
  }

  private skipItem(noun: string, path: Path, issues: readonly ValidationIssue[], cause: unknown): void {
    const error = this.report(noun, path, issues, cause, '');
    this.firstError ??= error;
  }

  /**
   * Adds the `skipped` event of an unreadable item or piece at `path`, whose `issues` have paths
   * relative to it; returns the error of the whole webhook (paths from its root).
   */
  private report(
    noun: string,
    path: Path,
    issues: readonly ValidationIssue[],
    cause: unknown,
    suffix: string,
  ): ValidationError {
    const relative = issues.map((issue) => ({ path: issue.path, message: issue.message }));
    const absolute = relative.map((issue) => ({ path: [...path, ...issue.path], message: issue.message }));
    const error = new ValidationError(this.what, absolute, { cause });
    const reason = `${new ValidationError(noun, relative).message}${suffix}`;
    this.events.push({ type: 'skipped', reason, field: error.field });
    return error;
  }
}
