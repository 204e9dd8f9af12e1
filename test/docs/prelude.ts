/**
 * The names a guide's ts snippet may use without declaring them: what an earlier snippet of the
 * guide made (`desk`, `handler`), the ids and secrets a fragment works with, the host app's own
 * helpers, and stand-ins for the web frameworks the guides mount on, which are not dependencies
 * here. Every name is typed from the package's public types, so a fragment is checked as strictly
 * as a full program. A snippet that declares a name itself (`const desk = createDesk()`) shadows it.
 *
 * Keep it small: a name belongs here when fragments commonly assume it. A snippet that needs
 * anything else should declare or import it, where a reader sees it too.
 */
export const prelude = `
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChannelAdapter, Conversation, Desk, RawRequest } from 'threadline';
import type { ChatMessage, ChatMessageStatus } from 'threadline/client';
import type { FetchHandler } from 'threadline/http';
import type { ChannelContractCases } from 'threadline/testing';

declare global {
  // Made by an earlier snippet of the guide.
  const desk: Desk;
  /** \`createWebhookHandler(desk, options)\`. */
  const handler: FetchHandler;

  // Records and ids a fragment works on.
  const customerId: string;
  const conversationId: string;
  const conversation: Conversation;
  const searchHitMessageId: string;

  // Secrets and tokens, named rather than read from the environment.
  const accountSid: string;
  const authToken: string;
  const appSecret: string;
  const verifyToken: string;
  const accessToken: string;
  const phoneNumberId: string;
  const serverToken: string;
  /** The password of the Basic auth credentials put in an email provider's webhook URL. */
  const hookPassword: string;
  const secret: string;
  const identitySecret: string;
  /** An identity token the host's server signed (\`signIdentityToken\`). */
  const token: string;

  // The host app: its logged-in user and its own helpers.
  interface AppUser {
    id: string;
    email: string;
    name: string;
  }
  const user: AppUser;
  function render(message: ChatMessage): void;
  function updateStatus(messageId: string, status: ChatMessageStatus): void;
  function showTyping(typing: boolean, name: string | undefined): void;
  function rebuildFromForwardedHeaders(request: Request): string;

  // writing-an-adapter.md: the reader's own adapter, its recorded webhook samples and the contract
  // suite's cases made of them.
  interface AcmeOptions {
    id?: string;
    apiKey?: string;
    signingSecret: string;
  }
  function acme(options: AcmeOptions): ChannelAdapter;
  const apiKey: string;
  const signingSecret: string;
  function signedSample(file: string): Promise<RawRequest>;
  function unsignedSample(file: string): RawRequest;
  const cases: ChannelContractCases;

  // Stand-ins for Express, Hono, Deno and Bun (not dependencies here): only what the guides use.
  interface ExpressRequest extends IncomingMessage {
    originalUrl: string;
    body: unknown;
    ip: string;
    /** Set by the app's login middleware. */
    user: AppUser;
  }
  interface ExpressResponse extends ServerResponse {
    json(body: unknown): void;
  }
  type ExpressHandler = (req: ExpressRequest, res: ExpressResponse, next: (error?: unknown) => void) => unknown;
  interface ExpressApp {
    use(path: string, ...handlers: ExpressHandler[]): void;
    get(path: string, ...handlers: ExpressHandler[]): void;
  }
  function express(): ExpressApp;
  const app: ExpressApp;
  const requireLogin: ExpressHandler;
  class Hono {
    all(path: string, handler: (c: { req: { raw: Request } }) => Response | Promise<Response>): this;
  }
  const Deno: { serve(handler: (request: Request) => Response | Promise<Response>): unknown };
  const Bun: { serve(options: { fetch(request: Request): Response | Promise<Response> }): unknown };
}
`;
