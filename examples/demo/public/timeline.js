// The inbox timeline's messages: inbound left, outbound right, internal notes apart.
import { badge, customerName, h, partsText, shortTime } from './dom.js';

/** The badge kind of a channel id (the demo's channel ids are their kinds). */
export const kindOf = (channelId) =>
  ({ sms: 'sms', whatsapp: 'whatsapp', email: 'email', voice: 'voice', webchat: 'webchat' })[channelId] ??
  'other';

const statusTicks = {
  queued: '◷ queued',
  sent: '✓ sent',
  delivered: '✓✓ delivered',
  read: '✓✓ read',
  failed: '⚠ failed',
};

function renderPart(part) {
  if (part.type === 'text') return h('p.text', {}, part.text);
  if (part.type === 'call') {
    const duration =
      part.durationSec !== undefined
        ? ` · ${Math.floor(part.durationSec / 60)}:${String(part.durationSec % 60).padStart(2, '0')}`
        : '';
    return h(
      'div.call',
      {},
      h(
        'div.call-title',
        {},
        `${part.callDirection === 'outbound' ? 'Outbound' : 'Inbound'} call${part.callStatus ? ` ${part.callStatus}` : ''}${duration}`,
      ),
      part.transcript ? h('p.text', {}, `“${part.transcript}”`) : null,
      part.recordingUrl && !part.transcript ? h('div.call-sub', {}, 'Recording available') : null,
    );
  }
  return h('p.text.muted', {}, partsText([part]));
}

/** One message of the timeline: channel badge, author, time, parts, delivery status. */
export function renderMessage(message, customer) {
  const kind = kindOf(message.channel);
  const who =
    message.direction === 'inbound' ? customerName(customer) : (message.author.name ?? message.author.type);
  return h(
    `article.msg.msg-${message.direction}`,
    { dataset: { channel: message.channel, direction: message.direction, messageId: message.id } },
    h(
      'div.msg-head',
      {},
      message.direction === 'internal'
        ? h('span.note-label', {}, 'Private note')
        : badge(kind, message.channel),
      h('span.msg-author', {}, who),
      h(
        'time',
        { datetime: message.createdAt, title: new Date(message.createdAt).toLocaleString() },
        shortTime(message.createdAt),
      ),
    ),
    h(
      'div.bubble',
      {},
      message.parts.map(renderPart),
      message.error ? h('div.msg-error', {}, message.error.message) : null,
    ),
    message.direction === 'outbound'
      ? h(`div.delivery.delivery-${message.status}`, {}, statusTicks[message.status] ?? message.status)
      : null,
  );
}
