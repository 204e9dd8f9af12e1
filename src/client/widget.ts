import { type ChatClient, type ChatClientOptions, createChatClient } from './chat-client.js';
import type { ChatMessage, ConnectionState, TypingEvent } from './types.js';
import { buildShadow, type ShadowParts } from './widget-shadow.js';
import { h, messageItem, renderMeta } from './widget-view.js';

/** The `<threadline-chat>` element's own API, beside its attributes. */
export interface ThreadlineChatElement extends HTMLElement {
  /** The chat client, while the element is in the document. */
  readonly client: ChatClient | undefined;
  /** Opens the panel and moves focus into it. */
  show(): void;
  /** Closes the panel and gives focus back to the launcher. */
  hide(): void;
}

/** Options of {@link defineChatWidget}. */
export interface ChatWidgetOptions {
  /** Tag name. Default `threadline-chat`. */
  tagName?: string;
  /** Extra client options (storage, fetch, backoff, hiddenMs) for every instance; attributes win. */
  client?: Omit<ChatClientOptions, 'endpoint' | 'identityToken'>;
}

const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 2500;
const STATUS_ORDER: ChatMessage['status'][] = ['queued', 'received', 'sent', 'delivered', 'read', 'failed'];
const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Online',
  offline: 'Offline',
};

interface Shown {
  message: ChatMessage;
  item: HTMLElement;
  /** The state label its meta line shows (undefined: not rendered yet). */
  state?: string;
}

function createElementClass(options: ChatWidgetOptions) {
  return class ThreadlineChat extends HTMLElement implements ThreadlineChatElement {
    static observedAttributes = ['endpoint', 'token', 'heading', 'title', 'open'];
    client: ChatClient | undefined;
    #ui: ShadowParts | undefined;
    #shown = new Map<string, Shown>();
    /** Client ids of visitor messages the server accepted (their pending copies are stale). */
    #accepted = new Set<string>();
    /** The cursor of the history before the oldest message shown; null when it is all shown. */
    #older: string | null = null;
    /** A page of earlier messages is loading: another click waits for it instead of asking again. */
    #loadingEarlier = false;
    #unread = 0;
    #typingSentAt = 0;
    #typingIdle: ReturnType<typeof setTimeout> | undefined;
    #typingShown: ReturnType<typeof setTimeout> | undefined;
    #markedRead = '';
    #onVisibility = () => this.#markRead();

    connectedCallback(): void {
      if (!this.#ui) this.#build();
      this.#renderHeading();
      this.#start();
    }

    disconnectedCallback(): void {
      this.#stop();
    }

    attributeChangedCallback(name: string, old: string | null, value: string | null): void {
      if (!this.#ui || old === value) return;
      if (name === 'open') this.#setOpen(value !== null);
      else if (name === 'heading' || name === 'title') this.#renderHeading();
      else if (this.isConnected) {
        if (name === 'token') {
          // The token removed: the user logged out. Forget their chat on this browser (its cache
          // and visitor id), so whoever uses it next cannot see it.
          if (value === null)
            this.client?.forget().catch((error: Error) => console.warn('threadline-chat:', error.message));
          // A renewed token for the same user: the client swaps it, nothing on screen changes.
          else if (this.client?.renewIdentityToken(value)) return;
        }
        this.#stop();
        this.#start();
      }
    }

    show(): void {
      this.toggleAttribute('open', true);
    }

    hide(): void {
      this.toggleAttribute('open', false);
    }

    #build(): void {
      const ui = buildShadow(this);
      this.#ui = ui;
      ui.launcher.addEventListener('click', () => (this.hasAttribute('open') ? this.hide() : this.show()));
      ui.close.addEventListener('click', () => this.hide());
      ui.earlier.addEventListener('click', () => void this.#loadEarlier());
      ui.panel.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') this.hide();
      });
      ui.input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          ui.form.requestSubmit();
        }
      });
      ui.input.addEventListener('input', () => this.#onInput());
      ui.form.addEventListener('submit', (event) => {
        event.preventDefault();
        this.#submit();
      });
      this.#setOpen(this.hasAttribute('open'), false);
    }

    #renderHeading(): void {
      const text = this.getAttribute('heading') ?? this.getAttribute('title') ?? 'Chat with us';
      this.#ui!.heading.textContent = text;
      this.#renderUnread();
    }

    #start(): void {
      const endpoint = this.getAttribute('endpoint') ?? '/chat';
      const token = this.getAttribute('token');
      const client = createChatClient({
        ...options.client,
        endpoint,
        ...(token ? { identityToken: token } : {}),
      });
      this.client = client;
      document.addEventListener('visibilitychange', this.#onVisibility);
      client.on('message', (message) => this.#show(message));
      client.on('status', ({ messageId, status }) => this.#setStatus(messageId, status));
      client.on('typing', (event) => this.#showTyping(event));
      client.on('error', (error) => {
        console.warn('threadline-chat:', error.message);
        // The server refused the identity token (expired, or revoked): only the host can get a
        // new one, so tell it instead of leaving the visitor looking at "Offline".
        if ((error as { status?: number }).status === 401 && this.hasAttribute('token'))
          this.dispatchEvent(new CustomEvent('threadline-unauthorized', { bubbles: true, composed: true }));
      });
      let loaded = false;
      client.on('connection', (state) => {
        this.#ui!.state.textContent = STATE_TEXT[state];
        if (state === 'offline') this.#ui!.banner.hidden = false;
        if (state !== 'open') return;
        this.#ui!.banner.hidden = true;
        if (!loaded) void this.#refresh(client).then(() => (loaded = true));
        this.#markRead(); // retries a receipt that could not be delivered while the server was away
      });
      this.#ui!.state.textContent = STATE_TEXT[client.connection];
      void this.#restore(client);
    }

    #stop(): void {
      this.client?.close();
      this.client = undefined;
      document.removeEventListener('visibilitychange', this.#onVisibility);
      this.#shown.clear();
      this.#accepted.clear();
      this.#ui?.log.replaceChildren();
      this.#setOlder(null);
    }

    /** Shows the cached history and the outbox at once, before the server answers. */
    async #restore(client: ChatClient): Promise<void> {
      const [cached, pending] = await Promise.all([client.cached(), client.pending()]);
      if (client !== this.client) return;
      for (const message of [...cached].reverse()) this.#show(message, false);
      for (const message of pending) this.#show(message, false);
    }

    async #refresh(client: ChatClient): Promise<void> {
      try {
        const page = await client.history({ limit: 50 });
        if (client !== this.client) return;
        for (const message of [...page.items].reverse()) this.#show(message, false);
        this.#setOlder(page.nextCursor);
      } catch (error) {
        console.warn('threadline-chat: history could not be loaded:', (error as Error).message);
      }
    }

    /**
     * Shows the page of messages before the oldest page loaded, keeping the reader's place. A click
     * while one loads does not ask again (two answers with the same cursor would race, and the
     * slower could bring back a button with nothing left to load). Pages whose messages are all
     * shown already (the history cache restored them) are skipped, so each click shows something,
     * or hides the button.
     */
    async #loadEarlier(): Promise<void> {
      const client = this.client;
      const log = this.#ui!.log;
      if (!client || this.#older === null || this.#loadingEarlier) return;
      this.#loadingEarlier = true;
      try {
        let added = 0;
        while (added === 0 && this.#older !== null) {
          const page = await client.history({ limit: 50, before: this.#older });
          if (client !== this.client) return;
          const fromBottom = log.scrollHeight - log.scrollTop;
          const before = this.#shown.size;
          for (const message of [...page.items].reverse()) this.#show(message, false);
          added = this.#shown.size - before;
          log.scrollTop = log.scrollHeight - fromBottom;
          this.#setOlder(page.nextCursor);
        }
      } catch (error) {
        console.warn('threadline-chat: earlier messages could not be loaded:', (error as Error).message);
      } finally {
        this.#loadingEarlier = false;
      }
    }

    #setOlder(cursor: string | null): void {
      this.#older = cursor;
      if (this.#ui) this.#ui.earlier.hidden = cursor === null;
    }

    /** Adds or updates a message in the log, replacing its pending copy; keeps the log in time order. */
    #show(message: ChatMessage, live = true): void {
      if (message.direction === 'internal') return;
      const clientId = message.pending ? undefined : message.externalId;
      const queued = clientId ? this.#shown.get(clientId) : undefined;
      if (queued?.message.pending) {
        queued.item.remove();
        this.#shown.delete(clientId!);
      }
      if (clientId) this.#accepted.add(clientId);
      if (message.pending && this.#accepted.has(message.id)) return; // the server's copy is shown
      const known = this.#shown.get(message.id);
      if (known) {
        this.#setStatus(message.id, message.status);
        return;
      }
      const item = messageItem(message);
      this.#shown.set(message.id, { message, item });
      const log = this.#ui!.log;
      const stick =
        log.scrollHeight - log.scrollTop - log.clientHeight < 40 || message.direction === 'inbound';
      const after = [...log.children].find((child) => Number((child as HTMLElement).dataset.at) > message.at);
      log.insertBefore(item, after ?? null);
      this.#renderStates();
      if (stick) log.scrollTop = log.scrollHeight;
      if (message.direction === 'outbound' && live) this.#onAgentMessage();
      this.#markRead();
    }

    #setStatus(messageId: string, status: ChatMessage['status']): void {
      const shown = this.#shown.get(messageId);
      // Statuses only move forward: an older cached copy must not undo a live `read`.
      if (!shown || STATUS_ORDER.indexOf(status) < STATUS_ORDER.indexOf(shown.message.status)) return;
      shown.message = { ...shown.message, status };
      this.#renderStates();
    }

    /** Meta lines: `Sending…` for the outbox, `Not sent` when refused, `Read` on the newest read message of the visitor. */
    #renderStates(): void {
      const all = [...this.#shown.values()];
      const lastRead = all
        .filter((s) => s.message.direction === 'inbound' && s.message.status === 'read')
        .reduce<Shown | undefined>(
          (best, s) => (!best || s.message.at > best.message.at ? s : best),
          undefined,
        );
      for (const shown of all) {
        const { message } = shown;
        const state =
          message.status === 'failed'
            ? 'Not sent'
            : message.pending
              ? 'Sending…'
              : shown === lastRead
                ? 'Read'
                : '';
        if (shown.state === state) continue;
        shown.state = state;
        renderMeta(shown.item, message, state);
      }
    }

    #onAgentMessage(): void {
      this.#showTyping({ typing: false, author: { type: 'agent' } });
      if (this.hasAttribute('open')) return;
      this.#unread++;
      this.#renderUnread();
    }

    #renderUnread(): void {
      const { launcher, unread } = this.#ui!;
      unread.hidden = this.#unread === 0;
      unread.textContent = String(this.#unread);
      const name = this.#ui!.heading.textContent;
      const open = this.hasAttribute('open');
      launcher.setAttribute(
        'aria-label',
        `${open ? 'Close' : 'Open'} ${name}${this.#unread ? ` (${this.#unread} unread)` : ''}`,
      );
    }

    #showTyping({ typing, author }: TypingEvent): void {
      const ui = this.#ui!;
      clearTimeout(this.#typingShown);
      ui.typing.hidden = !typing;
      if (!typing) return;
      ui.typing.replaceChildren(
        h('span', { class: 'dots', 'aria-hidden': 'true' }, [h('i'), h('i'), h('i')]),
        `${author.name || 'Support'} is typing…`,
      );
      this.#typingShown = setTimeout(() => (ui.typing.hidden = true), 8000);
    }

    /** Shows or hides the panel; `focus` moves focus in (or back to the launcher), as a user action does. */
    #setOpen(open: boolean, focus = true): void {
      const ui = this.#ui!;
      const wasOpen = !ui.panel.hidden;
      ui.panel.hidden = !open;
      ui.launcher.setAttribute('aria-expanded', String(open));
      if (open) {
        this.#unread = 0;
        if (focus) ui.input.focus();
        ui.log.scrollTop = ui.log.scrollHeight;
        this.#markRead();
      } else if (wasOpen && focus) ui.launcher.focus();
      this.#renderUnread();
    }

    /** Marks the newest agent message read while the panel is open and the page visible. */
    #markRead(): void {
      if (!this.client || !this.hasAttribute('open') || document.visibilityState !== 'visible') return;
      const newest = [...this.#shown.values()]
        .filter((s) => s.message.direction === 'outbound' && s.message.status !== 'read')
        .sort((a, b) => b.message.at - a.message.at)[0];
      const id = newest?.message.id;
      if (!id || id === this.#markedRead) return;
      this.#markedRead = id;
      this.client.markRead(id).then(
        (delivered) => {
          // Not delivered (offline, server away): try again on the next chance, or no agent ever sees it read.
          if (!delivered && this.#markedRead === id) this.#markedRead = '';
        },
        (error: Error) => console.warn('threadline-chat:', error.message),
      );
    }

    #onInput(): void {
      const input = this.#ui!.input;
      input.style.height = 'auto';
      input.style.height = `${input.scrollHeight + 2}px`;
      const now = Date.now();
      if (now - this.#typingSentAt > TYPING_EVERY_MS) {
        this.#typingSentAt = now;
        this.#sendTyping(true);
      }
      clearTimeout(this.#typingIdle);
      this.#typingIdle = setTimeout(() => this.#stopTyping(), TYPING_IDLE_MS);
    }

    #stopTyping(): void {
      clearTimeout(this.#typingIdle);
      if (!this.#typingSentAt) return;
      this.#typingSentAt = 0;
      this.#sendTyping(false);
    }

    /** Best effort; a refusal (an expired token: 401) is logged, never an unhandled rejection. */
    #sendTyping(typing: boolean): void {
      this.client?.typing(typing).catch((error: Error) => console.warn('threadline-chat:', error.message));
    }

    #submit(): void {
      const input = this.#ui!.input;
      const text = input.value;
      if (!text.trim() || !this.client) return;
      input.value = '';
      input.style.height = 'auto';
      this.#stopTyping();
      this.client
        .send(text)
        .catch((error: Error) => console.warn('threadline-chat: not sent:', error.message));
    }
  };
}

/**
 * Defines the `<threadline-chat>` custom element (once; later calls return the existing class).
 * Importing this module defines nothing: call it once in the page's script.
 *
 * Attributes: `endpoint` (default `/chat`), `token` (an identity token signed by the host's
 * server; a renewed token for the same user is taken without a restart, see
 * `ChatClient.renewIdentityToken`; removing it logs the visitor out of chat: see
 * `ChatClient.forget`), `heading` (panel title; `title` is read too, but also shows as a native
 * tooltip), `open` (the panel is open).
 * Everything a message carries is shown as text; only `http(s)` URLs become links, opened with
 * `rel="noopener noreferrer"`. Theme it with CSS custom properties (`--threadline-accent`,
 * `--threadline-font`, `--threadline-radius`, ...; see docs/web-chat.md).
 * @example
 * defineChatWidget();
 * // <threadline-chat endpoint="/chat" heading="Support"></threadline-chat>
 */
export function defineChatWidget(options: ChatWidgetOptions = {}): CustomElementConstructor {
  const tagName = options.tagName ?? 'threadline-chat';
  const existing = customElements.get(tagName);
  if (existing) return existing;
  const element = createElementClass(options);
  customElements.define(tagName, element);
  return element;
}
