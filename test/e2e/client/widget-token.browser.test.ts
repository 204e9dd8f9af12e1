import { describe, expect, it } from 'vitest';
import { signIdentityToken } from '../../../src/http/token.js';
import { requireChromium } from '../indexeddb/chromium.js';
import { useWidgetInChromium } from './widget-server.js';

const installed = requireChromium('the <threadline-chat> token suite');
const SECRET = 'widget-token-test-secret-0123456789';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe.runIf(installed)('<threadline-chat> with a refused identity token in real Chromium', () => {
  const suite = useWidgetInChromium({ chat: { identitySecret: SECRET } });

  it('fires threadline-unauthorized on a 401, and a token set from the listener reconnects', async () => {
    const page = await (await suite.browser.newContext()).newPage();
    await page.goto(suite.server.url);
    // The host's token endpoint, as the page would call it: a token signed with the right secret.
    const fresh = await signIdentityToken({ sub: 'ada', email: 'ada@example.com', exp: inAnHour() }, SECRET);
    await page.exposeFunction('fetchChatToken', () => fresh);
    await page.evaluate(() => {
      const widget = document.querySelector('threadline-chat')!;
      (window as unknown as { refusals: number }).refusals = 0;
      widget.addEventListener('threadline-unauthorized', async () => {
        (window as unknown as { refusals: number }).refusals++;
        const token = await (window as unknown as { fetchChatToken(): Promise<string> }).fetchChatToken();
        widget.setAttribute('token', token);
      });
    });
    // A token the server cannot verify (signed with another secret: as good as expired).
    const stale = await signIdentityToken(
      { sub: 'ada', email: 'ada@example.com', exp: inAnHour() },
      'another-secret-0123456789abcdef',
    );
    await page.evaluate(
      (token) => document.querySelector('threadline-chat')!.setAttribute('token', token),
      stale,
    );
    await page.locator('threadline-chat .launcher').click();
    await page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { refusals: number }).refusals)).toBe(1);
    await page.context().close();
  });

  it('an anonymous visitor (no token attribute) never fires it', async () => {
    const page = await (await suite.browser.newContext()).newPage();
    await page.goto(suite.server.url);
    await page.evaluate(() => {
      (window as unknown as { refusals: number }).refusals = 0;
      document
        .querySelector('threadline-chat')!
        .addEventListener(
          'threadline-unauthorized',
          () => (window as unknown as { refusals: number }).refusals++,
        );
    });
    await page.locator('threadline-chat .launcher').click();
    await page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { refusals: number }).refusals)).toBe(0);
    await page.context().close();
  });
});
