/**
 * A real browser for the console tests: Debian's Chromium (apt-get install chromium, installed by
 * `bash deploy/local/stack.sh browser`) driven by playwright-core (no browser download). axe-core is
 * injected from node_modules into each page under test; screenshots go to test-results/console/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../helpers/services.ts';

const require = createRequire(import.meta.url);
export const AXE_PATH = require.resolve('axe-core/axe.min.js');
export const SHOTS = `${ROOT}test-results/console`;

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(p))
    throw new Error(`no Chromium at ${p}: run \`bash deploy/local/stack.sh browser\` (apt-get install chromium)`);
  return p;
}

export async function launch(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
}

/**
 * axe-core on the page as it is: no serious or critical violation. axe is added as a script
 * element from its file; the console's CSP (script-src 'self') would block it, so the browser
 * context of these tests is created with bypassCSP, so the XSS checks test the escaping alone,
 * without CSP's help.
 */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ path: AXE_PATH });
  // A string: this project's TypeScript has no DOM types; the function runs in the page.
  const violations = await page.evaluate<AxeViolation[]>(
    'axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))',
  );
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name}: axe found serious/critical violations: ${JSON.stringify(bad)}`);
}

/** Full-page screenshot under test-results/console/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** Visit, check the status, accessibility and take the screenshot. */
export async function visit(page: Page, url: string, name: string, status = 200): Promise<void> {
  const res = await page.goto(url);
  assert.equal(res?.status(), status, `${name}: ${url} answered ${res?.status()}`);
  await assertAccessible(page, name);
  await shot(page, name);
}

/** A fresh context (own cookies) and page; bypassCSP lets axe be injected (escaping is tested without CSP's help). */
export async function session(
  browser: Browser,
): Promise<{ ctx: BrowserContext; page: Page; dialogs: string[]; confirmNext: () => void }> {
  const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const dialogs: string[] = [];
  let accept = false;
  // Every dialog is recorded; only a confirmation the test asked for is accepted.
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void (accept && d.type() === 'confirm' ? d.accept() : d.dismiss());
    accept = false;
  });
  return { ctx, page, dialogs, confirmNext: () => (accept = true) };
}

/** The login form, as a person fills it in (admin key, tenant key or portal token). */
export async function login(page: Page, base: string, credential: string): Promise<void> {
  await page.goto(`${base}/console/login`);
  await page.fill('#credential', credential);
  await Promise.all([page.waitForURL(/\/console(\/endpoints)?$/), page.click('button[type=submit]')]);
}

/** The page's table is not wider than its box: nothing (such as the last column) behind a sideways scroll. */
export async function assertNoSideScroll(page: Page, name: string): Promise<void> {
  const overflow = await page.evaluate<number>(
    "(() => { const w = document.querySelector('.table-wrap'); return w ? w.scrollWidth - w.clientWidth : 0; })()",
  );
  assert.ok(overflow <= 0, `${name}: the table scrolls sideways by ${overflow} px`);
}
