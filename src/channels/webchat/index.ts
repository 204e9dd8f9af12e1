import * as z from 'zod';
import type {
  ChannelAdapter,
  ChannelCapabilities,
  OutboundDelivery,
  RawRequest,
  SendResult,
} from '../../core/channel.js';
import { SignatureError, ValidationError } from '../../model/errors.js';
import type { InboundEvent } from '../../model/inbound.js';
import { MAX_TEXT_LENGTH, Part } from '../../model/parts.js';
import { verifyHostSignature } from '../shared/host-signature.js';

export { SIGNATURE_HEADER, signBody } from '../shared/host-signature.js';

/** Options of {@link webchat}. */
export interface WebchatOptions {
  /** Adapter id. Default `webchat`. */
  id?: string;
  /**
   * Shared secret of the host's server: a webhook is accepted only with `X-Threadline-Signature:
   * sha256=<hex HMAC-SHA256 of the raw body>` (see `signBody`). Without it, every webhook is refused
   * (messages can still be fed with `desk.receive`).
   */
  secret?: string;
}

const Options = z.object({
  id: z.string().min(1).max(128).optional(),
  secret: z.string().min(16, 'use a secret of at least 16 characters').optional(),
});

/** The body the host's server posts for one visitor message. */
const WebchatMessage = z
  .object({
    visitorId: z.string().trim().min(1).max(320),
    text: z.string().min(1).max(MAX_TEXT_LENGTH).optional(),
    parts: z.array(Part).min(1).max(100).optional(),
    messageId: z.string().min(1).max(1024).optional(),
  })
  .refine((m) => m.text !== undefined || m.parts !== undefined, {
    message: 'either text or parts is required',
    path: ['text'],
  });

/** The widget reads replies from the desk, so anything the desk stores can be shown. */
const capabilities: ChannelCapabilities = {
  parts: ['text', 'media', 'location', 'contact', 'form'],
  recipientKinds: ['webchat'],
};

function parseBody(channel: string, body: string): InboundEvent[] {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new ValidationError('webchat message', [{ path: [], message: 'the body is not valid JSON' }]);
  }
  const checked = WebchatMessage.safeParse(data);
  if (!checked.success) throw ValidationError.fromZod('webchat message', checked.error);
  const { visitorId, text, parts, messageId } = checked.data;
  const message = {
    channel,
    channelKind: 'webchat' as const,
    from: { kind: 'webchat' as const, value: visitorId, verified: false },
    ...(parts ? { parts } : { text }),
    ...(messageId === undefined ? {} : { externalId: messageId }),
  };
  return [{ type: 'message', message }];
}

/**
 * The host's own web chat (kind `webchat`). For now it is deliberately small: the host's server
 * posts a visitor's message, signed with `secret`, as `{ visitorId, text | parts, messageId? }`
 * JSON; the visitor becomes an unverified `webchat` identity. `send` stores nothing remotely: the
 * widget reads replies from the desk, so a reply is marked delivered at once (its external id is
 * the message id). The widget's own endpoints (send, history, live updates) come with
 * `threadline/client`.
 *
 * @throws ValidationError when an option is malformed.
 */
export function webchat(
  options: WebchatOptions = {},
): ChannelAdapter & Required<Pick<ChannelAdapter, 'contentTypes'>> {
  const checked = Options.safeParse(options);
  if (!checked.success) throw ValidationError.fromZod('webchat options', checked.error);
  const id = options.id ?? 'webchat';
  const secret = options.secret;
  return {
    id,
    kind: 'webchat',
    capabilities,
    contentTypes: ['application/json'],
    async verify(raw: RawRequest): Promise<void> {
      if (secret === undefined)
        throw new SignatureError(`${id}: no secret is set, so no webhook is accepted`);
      await verifyHostSignature(id, secret, raw);
    },
    parse: (raw: RawRequest) => parseBody(id, raw.body),
    async send(delivery: OutboundDelivery): Promise<SendResult> {
      return { externalId: delivery.message.id, status: 'delivered' };
    },
  };
}
