import type { Desk } from '../../core/types.js';
import type { Json, Message } from '../../model/records.js';
import type { WebChatSettings } from './options.js';

/**
 * Email continuity: an agent's or bot's reply on the web-chat channel that is still unread after
 * `delayMs` is copied to the customer's email with `desk.reply(..., { channel, meta: { copyOf } })`.
 * Timers live in this process: a restart drops pending copies.
 */
export class EmailFallback {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly off: () => void;

  constructor(
    private readonly desk: Desk,
    private readonly settings: WebChatSettings,
  ) {
    this.off = desk.on('message.queued', (event) => this.consider(event.message));
  }

  /** Cancels the copies of messages the visitor has read. */
  read(messageIds: readonly string[]): void {
    for (const id of messageIds) {
      const timer = this.timers.get(id);
      if (timer === undefined) continue;
      clearTimeout(timer);
      this.timers.delete(id);
    }
  }

  /** Stops listening and drops every pending copy. */
  close(): void {
    this.off();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private consider(message: Message): void {
    const fromStaff = message.author.type === 'agent' || message.author.type === 'bot';
    if (message.channel !== this.settings.channel || message.direction !== 'outbound' || !fromStaff) return;
    if (message.meta?.copyOf !== undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(message.id);
      this.copy(message.id).catch((error: unknown) =>
        this.desk.logger.error(`threadline web chat: emailing a copy of ${message.id} failed`, error),
      );
    }, this.settings.emailFallback.delayMs);
    (timer as { unref?: () => void }).unref?.();
    this.timers.set(message.id, timer);
  }

  /** Sends the copy unless the message was read, or the customer has no (verified) email. */
  private async copy(messageId: string): Promise<void> {
    const message = await this.desk.store.getMessage(messageId);
    if (!message || message.status === 'read') return;
    const customer = await this.desk.customers.resolve(message.customerId);
    const { channel, verifiedOnly, replyDomain } = this.settings.emailFallback;
    const emails = customer.identities.filter((identity) => identity.kind === 'email');
    // The reply picks its address itself (the freshest, or one seen on that channel), so with
    // verifiedOnly every address the customer holds must be verified.
    if (emails.length === 0 || (verifiedOnly && emails.some((identity) => !identity.verified))) return;
    const meta: Record<string, Json> = { copyOf: message.id };
    if (replyDomain !== undefined) meta.replyTo = `reply+${message.conversationId}@${replyDomain}`;
    await this.desk.reply(message.conversationId, {
      parts: message.parts,
      channel,
      author: message.author,
      meta,
    });
  }
}
