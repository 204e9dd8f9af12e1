import { WIDGET_CSS } from './widget-styles.js';
import { CHAT_ICON, CLOSE_ICON, h, icon, SEND_ICON } from './widget-view.js';

/** Everything the element's shadow root holds, made once. */
export function buildShadow(host: HTMLElement) {
  const root = host.attachShadow({ mode: 'open' });
  if (
    'adoptedStyleSheets' in root &&
    typeof CSSStyleSheet === 'function' &&
    'replaceSync' in CSSStyleSheet.prototype
  ) {
    // A constructed sheet is CSSOM, so a strict CSP without style-src 'unsafe-inline' allows it.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(WIDGET_CSS);
    root.adoptedStyleSheets = [sheet];
  } else root.append(h('style', {}, [WIDGET_CSS]));
  const unread = h('span', { class: 'unread', hidden: '' });
  const launcher = h(
    'button',
    {
      class: 'launcher',
      part: 'launcher',
      type: 'button',
      'aria-expanded': 'false',
      'aria-controls': 'panel',
    },
    [icon(CHAT_ICON), unread],
  );
  const heading = h('h2', { id: 'heading' });
  const state = h('span', { class: 'state' });
  const close = h('button', { class: 'close', type: 'button', 'aria-label': 'Close chat' }, [
    icon(CLOSE_ICON),
  ]);
  const banner = h('div', { class: 'banner', role: 'status', hidden: '' }, [
    'You are offline. Messages will be sent when the connection returns.',
  ]);
  const earlier = h('button', { class: 'earlier', type: 'button', hidden: '' }, ['Earlier messages']);
  const log = h('ol', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-labelledby': 'heading' });
  const typing = h('div', { class: 'typing', hidden: '' });
  const input = h('textarea', {
    id: 'input',
    rows: '1',
    placeholder: 'Write a message…',
    enterkeyhint: 'send',
    maxlength: '65536', // the longest text the client and server take, in UTF-16 units as here
  }) as HTMLTextAreaElement;
  const form = h('form', {}, [
    h('label', { for: 'input', class: 'sr' }, ['Message']),
    input,
    h('button', { class: 'send', type: 'submit', 'aria-label': 'Send message' }, [icon(SEND_ICON)]),
  ]);
  const panel = h(
    'section',
    { id: 'panel', class: 'panel', part: 'panel', role: 'dialog', 'aria-labelledby': 'heading', hidden: '' },
    [h('header', {}, [heading, state, close]), banner, earlier, log, typing, form],
  );
  root.append(launcher, panel);
  return {
    launcher,
    unread,
    heading,
    state,
    close,
    banner,
    earlier,
    log,
    typing,
    input,
    form: form as HTMLFormElement,
    panel,
  };
}

/** The parts of the widget's shadow root. */
export type ShadowParts = ReturnType<typeof buildShadow>;
