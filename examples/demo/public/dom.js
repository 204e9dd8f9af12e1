// Tiny DOM helpers shared by the demo pages (no framework, no innerHTML of user data).

/** Creates an element: h('div.class1.class2#id', { attr: value, onclick }, ...children). */
export function h(tag, props = {}, ...children) {
  const [selector, id] = tag.split('#');
  const [name, ...classes] = selector.split('.');
  const el = document.createElement(name || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Fetches JSON; throws an Error carrying the server's message. */
export async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data?.error?.message ?? `${response.status} ${response.statusText}`);
  return data;
}

/** Channel look: label and badge class, by channel kind. */
export const channelLook = {
  webchat: { label: 'Web chat', icon: '💬' },
  sms: { label: 'SMS', icon: '✉︎' },
  whatsapp: { label: 'WhatsApp', icon: '◉' },
  email: { label: 'Email', icon: '@' },
  voice: { label: 'Voice', icon: '☎︎' },
};

/** A channel badge: coloured pill with the channel's name. */
export function badge(kind, text) {
  const look = channelLook[kind] ?? { label: kind };
  return h(
    `span.badge.badge-${kind in channelLook ? kind : 'other'}`,
    { title: look.label },
    text ?? look.label,
  );
}

/** "14:05", or "Mon 14:05" / "3 Nov" for older times. */
export function shortTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const now = new Date();
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === now.toDateString()) return time;
  if (now - date < 6 * 864e5) return `${date.toLocaleDateString([], { weekday: 'short' })} ${time}`;
  return date.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

/** Initials for an avatar. */
export function initials(name) {
  const words = (name || '?')
    .replace(/[^\p{L}\p{N} ]/gu, ' ')
    .trim()
    .split(/\s+/);
  return ((words[0]?.[0] ?? '?') + (words[1]?.[0] ?? '')).toUpperCase();
}

/** A stable pastel hue per id, for avatars. */
export function hueOf(id) {
  let hash = 0;
  for (const char of id ?? '') hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 360;
}

/** The plain text of a message's parts. */
export function partsText(parts) {
  return parts
    .map((part) => {
      if (part.type === 'text') return part.text;
      if (part.type === 'call')
        return part.transcript ? `Call: “${part.transcript}”` : `Call ${part.callStatus ?? ''}`.trim();
      if (part.type === 'media') return part.caption ?? `[${part.filename ?? 'attachment'}]`;
      return `[${part.type}]`;
    })
    .join(' ');
}

/** The name an agent knows a customer by: display name, else an address, else "Anonymous visitor". */
export function customerName(customer) {
  return (
    customer.displayName ||
    customer.identities.find((identity) => identity.kind !== 'webchat')?.value ||
    'Anonymous visitor'
  );
}
