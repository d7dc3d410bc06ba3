// The browsers the end-to-end suites run in. Chromium is playwright-core's own browser, used as
// is. Firefox (Debian's firefox-esr) is driven by puppeteer-core over WebDriver BiDi and
// wrapped here in the few Playwright calls the suites make: a browser's newContext; a
// context's newPage, addInitScript, clearCookies and close; a page's goto, reload, evaluate,
// addInitScript, locator, getByRole, waitForURL, waitForEvent, a route that fulfils requests,
// and its request, response and framenavigated events. So one suite runs in both. A test that needs
// more of Playwright (rewriting a provider's redirect on its way) runs in Chromium only.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

export const BROWSERS = ['chromium', 'firefox'];

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

// `popupBlocker`: keep Chromium's popup blocker, which Playwright turns off by default, so a
// window.open without a user gesture is refused as in a real browser.
export function launchChromium({ popupBlocker = false } = {}) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    ...(popupBlocker ? { ignoreDefaultArgs: ['--disable-popup-blocking'] } : {}),
  });
}

// `chromiumOptions` go to launchChromium.
export async function launchBrowser(name, chromiumOptions) {
  if (name === 'chromium') return launchChromium(chromiumOptions);
  if (name !== 'firefox') throw new Error(`unknown browser ${name}; use one of ${BROWSERS.join(', ')}`);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    protocol: 'webDriverBiDi',
    headless: true,
  });
  return {
    newContext: async () => firefoxContext(await browser.createBrowserContext()),
    close: () => browser.close(),
  };
}

function firefoxContext(context) {
  // Scripts run in every document of the context's pages before the page's own, as
  // Playwright's addInitScript: in the pages open now and in those opened later.
  const initScripts = [];
  const pages = [];
  const wrapped = {
    newPage: async () => {
      const page = await context.newPage();
      for (const script of initScripts) await page.evaluateOnNewDocument(script);
      pages.push(page);
      return firefoxPage(page, wrapped);
    },
    addInitScript: async (script) => {
      initScripts.push(script);
      for (const page of pages) await page.evaluateOnNewDocument(script);
    },
    clearCookies: async () => {
      const cookies = await context.cookies();
      if (cookies.length > 0) await context.deleteCookie(...cookies);
    },
    close: () => context.close(),
  };
  return wrapped;
}

// A puppeteer page with Playwright's names. Its request, response and frame objects are
// puppeteer's, whose url(), method(), headers(), status(), frame() and isNavigationRequest()
// the suites read as they read Playwright's.
function firefoxPage(page, context) {
  const locate = (selector) => ({
    click: ({ timeout } = {}) => page.locator(selector).setTimeout(timeout ?? 30_000).click(),
    fill: (value) => page.locator(selector).fill(value),
    waitFor: ({ timeout } = {}) => page.waitForSelector(selector, { timeout }).then(() => undefined),
    textContent: async ({ timeout } = {}) => {
      const element = await page.waitForSelector(selector, { timeout });
      return element.evaluate((e) => e.textContent);
    },
  });
  // Resolves with the first `event` whose value satisfies `predicate`, or fails after `timeout`.
  const once = (event, predicate, timeout) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      page.off(event, listener);
      reject(new Error(`no ${event} within ${timeout} ms`));
    }, timeout);
    const listener = (value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      page.off(event, listener);
      resolve(value);
    };
    page.on(event, listener);
  });
  return {
    context: () => context,
    url: () => page.url(),
    mainFrame: () => page.mainFrame(),
    on: (event, listener) => page.on(event, listener),
    goto: (url, { timeout } = {}) => page.goto(url, { timeout }),
    reload: ({ timeout } = {}) => page.reload({ timeout }),
    evaluate: (f, arg) => page.evaluate(f, arg),
    // Playwright's page.addInitScript: before the page's own scripts, in its later documents.
    addInitScript: (script) => page.evaluateOnNewDocument(script),
    locator: locate,
    getByRole: (role, { name }) => locate(`::-p-aria([name=${JSON.stringify(name)}][role="${role}"])`),
    waitForURL: async (accept, { timeout = 30_000 } = {}) => {
      if (accept(new URL(page.url()))) return;
      await once('framenavigated', (frame) => frame === page.mainFrame() && accept(new URL(frame.url())), timeout);
    },
    waitForEvent: (event, { predicate = () => true, timeout = 30_000 } = {}) => once(event, predicate, timeout),
    // Answers the requests (of the page and its frames) whose URL `match` accepts with what
    // `handler` gives route.fulfill; the others go on untouched.
    route: async (match, handler) => {
      await page.setRequestInterception(true);
      page.on('request', (request) => {
        if (!match(new URL(request.url()))) return request.continue();
        return handler({ fulfill: ({ status = 200, contentType, headers, body }) => request.respond({ status, contentType, headers, body }) });
      });
    },
  };
}
