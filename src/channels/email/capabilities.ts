import type { ChannelCapabilities } from '../../core/channel.js';

/** What every email adapter carries: text and media (as links), to email addresses, no reply window. */
export const emailCapabilities: ChannelCapabilities = Object.freeze({
  parts: Object.freeze(['text', 'media'] as const),
  recipientKinds: Object.freeze(['email'] as const),
});
