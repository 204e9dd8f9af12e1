import type { Part } from '../model/parts.js';
import type { ChatMessage } from './types.js';

/** Creates an element with attributes and children (text or nodes): no innerHTML anywhere. */
export function h(
  tag: string,
  attrs: Record<string, string> = {},
  children: (Node | string)[] = [],
): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

/** An inline stroke icon from SVG path data (decorative: hidden from screen readers). */
export function icon(paths: string[]): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  for (const d of paths) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

export const CHAT_ICON = ['M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z'];
export const CLOSE_ICON = ['M6 6l12 12', 'M18 6L6 18'];
export const SEND_ICON = ['M22 2L11 13', 'M22 2l-7 20-4-9-9-4z'];

const CHANNEL_LABELS: Record<string, string> = {
  sms: 'SMS',
  email: 'Email',
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  instagram: 'Instagram',
  telegram: 'Telegram',
  voice: 'Call',
  webform: 'Form',
  slack: 'Slack',
  api: 'API',
};

/** The badge text for a message from another channel than web chat, or undefined. */
export const channelLabel = (message: ChatMessage): string | undefined =>
  message.channelKind === 'webchat' ? undefined : (CHANNEL_LABELS[message.channelKind] ?? message.channel);

/** A link only for http(s) URLs: a `javascript:` URL from a message must never become clickable. */
function link(url: string, text: string): Node | string {
  return /^https?:\/\//i.test(url)
    ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, [text])
    : text;
}

function partContent(part: Part): (Node | string)[] {
  switch (part.type) {
    case 'text':
      return [part.text];
    case 'media':
      return [link(part.url, part.caption || part.filename || 'Attachment')];
    case 'call': {
      const minutes = part.durationSec ? ` · ${Math.max(1, Math.round(part.durationSec / 60))} min` : '';
      return [`Phone call${minutes}`, part.transcript ? `\n${part.transcript}` : ''];
    }
    case 'form':
      return [part.fields.map((field) => `${field.label || field.name}: ${field.value}`).join('\n')];
    case 'location':
      return [part.name || part.address || `${part.latitude}, ${part.longitude}`];
    case 'contact':
      return [`Contact: ${part.name}`];
    case 'template':
      return [part.params?.join(' ') || part.name];
    case 'reaction':
      return [part.emoji];
    default:
      return [];
  }
}

/** The bubble's content: each part on its own line. */
export function messageContent(message: ChatMessage): (Node | string)[] {
  return message.parts.flatMap((part, i) => [...(i ? ['\n'] : []), ...partContent(part)]);
}

/** A message's list item: who (for agents), bubble, and a meta line (time, channel badge, state). */
export function messageItem(message: ChatMessage): HTMLElement {
  const mine = message.direction === 'inbound';
  const item = h('li', { class: mine ? 'msg mine' : 'msg' });
  item.dataset.at = String(message.at);
  if (!mine) item.append(h('span', { class: 'who' }, [message.author.name || 'Support']));
  item.append(h('div', { class: 'bubble' }, messageContent(message)), h('span', { class: 'meta' }));
  return item;
}

/** Fills the meta line: time, channel badge, and a state label (`Sending…`, `Read`, `Not sent`). */
export function renderMeta(item: HTMLElement, message: ChatMessage, state: string): void {
  const time = new Date(message.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const badge = channelLabel(message);
  const meta = item.lastElementChild!;
  meta.replaceChildren(
    h('time', { datetime: message.createdAt }, [time]),
    ...(badge ? [h('span', { class: 'badge', title: `Sent by ${badge}` }, [`via ${badge}`])] : []),
    ...(state ? [h('span', { class: 'state-label' }, [state])] : []),
  );
  item.classList.toggle('pending', state === 'Sending…');
  item.classList.toggle('failed', state === 'Not sent');
}
