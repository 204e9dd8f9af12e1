import type { ChannelCapabilities } from '../../core/channel.js';

/** What every email adapter carries: text and media (as links), to email addresses, no reply window. */
export const emailCapabilities: ChannelCapabilities = Object.freeze({
  parts: Object.freeze(['text', 'media'] as const),
  recipientKinds: Object.freeze(['email'] as const),
});

/**
 * Inbound email bodies carry their attachments (base64 in JSON, or multipart), so the adapters ask
 * the webhook handler for more room than its 1 MiB default: providers cap inbound mail at 25-35 MB.
 */
export const INBOUND_EMAIL_MAX_BYTES = 40 * 1024 * 1024;
