import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PhonePage, numbers } from './fixtures/phone-page';
import { WalletPage, pressGoogle } from './fixtures/wallet-page';
import { linkSentTo, outboxMark } from './fixtures/outbox';

// The operator dashboard under /admin, on a desktop, against the real server (desktop project).

/** The demo admin (ELUMO_DEMO_ADMIN_PASSWORD in playwright.config.ts). */
const admin = { email: 'admin@northwind.example', password: 'northwind-demo-admin-pass' };

async function fillSignIn(page: Page, password: string) {
  await page.goto('/admin/login');
  await page.locator('#email').fill(admin.email);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in as the demo admin; the browser lands on the journeys list. */
async function signIn(page: Page) {
  await fillSignIn(page, admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Journeys');
}

/** No accessibility violation of serious or critical impact on the page as it is now. */
async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  expect(serious, `serious or critical axe violations on ${what}:\n${serious.join('\n')}`).toEqual([]);
}

/** The public id of the journey the phone page on screen belongs to. */
async function journeyOnPhonePage(page: Page): Promise<string> {
  return page.locator('form.phone-form input[name="journey"]').inputValue();
}

/** Walks a member from the demo invite to the wallet page; returns the journey and the link. */
async function walkToWallet(page: Page, number: string, e164: string, firstName: string) {
  const phone = new PhonePage(page);
  await phone.open();
  await phone.waitForHydration();
  const journey = await journeyOnPhonePage(page);
  const mark = await outboxMark(page);
  await phone.enter(number);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your messages');
  const link = await linkSentTo(page, e164, mark);
  await page.goto(link);
  await expect(new WalletPage(page).heading).toHaveText(`Your pass is ready, ${firstName}`);
  return { journey, link };
}

function journeyRow(page: Page, journey: string) {
  return page.getByTestId('journeys').locator(`tr[data-journey="${journey}"]`);
}

/** The `.eml` files in the main server's mail outbox that are addressed to `email`. */
function mailsTo(email: string): number {
  const dir = path.resolve(__dirname, '../.data/mail-outbox');
  if (!fs.existsSync(dir)) return 0;
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .filter((f) => fs.readFileSync(path.join(dir, f), 'utf8').includes(email)).length;
}

test('sign-in: a wrong password is refused, the demo admin lands on the journeys', async ({ page }) => {
  await fillSignIn(page, 'not-the-password');
  await expect(page).toHaveURL(/\/admin\/login\?error=invalid/);
  await expect(page.getByTestId('login-error')).toContainText("don't match");

  await signIn(page);
  await expect(page.getByTestId('journeys')).toBeVisible();
  await expect(page.getByText(admin.email)).toBeVisible();
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/admin\/login/);
  await expect(page.getByTestId('login-error')).toContainText('You have signed out');
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/admin\/login/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

// A member's journey to Google Wallet and a number not in the directory, then what the dashboard
// shows of them. Later tests use the journeys the first two walk, so the group runs in order.
test.describe('journeys in the dashboard', () => {
  test.describe.configure({ mode: 'serial' });

  /** Ada Lovelace's journey, to Google Wallet. */
  let completed = '';
  /** 07400 123099's journey: no member has the number. */
  let missed = '';

  test('a member adds the pass to Google Wallet', async ({ page }) => {
    const { journey, link } = await walkToWallet(page, numbers.ada, '+447400123001', 'Ada');
    expect(await pressGoogle(page, link)).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\//);
    completed = journey;
  });

  test('a number not in the directory is not found', async ({ page }) => {
    const phone = new PhonePage(page);
    await phone.open();
    await phone.waitForHydration();
    missed = await journeyOnPhonePage(page);
    await phone.enter(numbers.unknown);
    await expect(phone.notFound).toContainText("We couldn't find that number");
  });

  test('the journeys list shows the completed journey', async ({ page }) => {
    await signIn(page);
    const row = journeyRow(page, completed);
    await expect(row).toHaveCount(1);
    const member = row.getByRole('link', { name: 'Ada Lovelace' });
    await expect(member).toHaveAttribute('href', `/admin/journeys/${completed}`);
    await expect(row.locator('td').nth(4).locator('.badge')).toHaveText('Completed');
    await expect(row.locator('td').nth(5)).toHaveText('Google');
  });

  test('the journey page shows the timeline', async ({ page }) => {
    await signIn(page);
    await journeyRow(page, completed).getByRole('link', { name: 'Ada Lovelace' }).click();
    await expect(page).toHaveURL(new RegExp(`/admin/journeys/${completed}$`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Journey of Ada Lovelace');
    await expect(page.getByTestId('journey-outcome')).toHaveText('Completed');
    await expect(page.getByTestId('timeline').locator('li')).toContainText([
      'Invite opened',
      'Number entered',
      'Member matched',
      'SMS sent',
      'Link opened',
      'Added to Google Wallet',
    ]);
    await expect(page.getByTestId('pass-state').filter({ hasText: 'Google Wallet' })).toContainText('Active');
  });

  test('filtering by outcome "Not found" shows the miss and why', async ({ page }) => {
    await signIn(page);
    await page.locator('#f-outcome').selectOption('not_found');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/[?&]outcome=not_found/);
    const rows = page.getByTestId('journeys').locator('tr[data-journey]');
    await expect(journeyRow(page, missed)).toHaveCount(1);
    // Every row on the filtered list is a miss.
    await expect(rows.filter({ hasNot: page.locator('.badge', { hasText: /^Not found$/ }) })).toHaveCount(0);

    await journeyRow(page, missed).getByRole('link').click();
    await expect(page).toHaveURL(new RegExp(`/admin/journeys/${missed}$`));
    await expect(page.getByTestId('journey-outcome')).toHaveText('Not found');
    await expect(page.getByTestId('miss-reason')).toContainText('No member has this number');
  });

  test('searching by the last digits of a number finds the member', async ({ page }) => {
    await signIn(page);
    await page.locator('#f-q').fill('123001');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/[?&]q=123001/);
    const rows = page.getByTestId('journeys').locator('tr[data-journey]');
    await expect(journeyRow(page, completed)).toHaveCount(1);
    await expect(journeyRow(page, missed)).toHaveCount(0);
    await expect(
      rows.filter({ hasNot: page.getByRole('link', { name: 'Ada Lovelace', exact: true }) }),
    ).toHaveCount(0);
  });

  test('the CSV export has the header and the completed journey', async ({ page }) => {
    await signIn(page);
    const exportLink = page.getByTestId('export-csv');
    await expect(exportLink).toHaveAttribute('href', /^\/admin\/journeys\.csv\?/);
    const [download] = await Promise.all([page.waitForEvent('download'), exportLink.click()]);
    expect(download.suggestedFilename()).toBe('journeys.csv');
    const csv = await fs.promises.readFile(await download.path(), 'utf8');
    const lines = csv.split(/\r?\n/);
    expect(lines[0]).toBe(
      'journey,member,number,site,channel,step,outcome,platform,started,time_to_wallet_seconds',
    );
    const ada = lines.find((l) => l.includes(completed));
    expect(ada, `a CSV row for journey ${completed}`).toBeTruthy();
    expect(ada).toContain('Ada Lovelace');
    expect(ada).toContain('Completed');
    expect(ada).toContain('Google');
  });

  test('the dashboard pages have no serious accessibility problems', async ({ page }) => {
    await page.goto('/admin/login');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await expectAccessible(page, '/admin/login');

    await signIn(page);
    await expect(journeyRow(page, completed)).toHaveCount(1);
    await expectAccessible(page, '/admin (journeys)');

    await page.goto(`/admin/journeys/${completed}`);
    await expect(page.getByTestId('timeline')).toBeVisible();
    await expectAccessible(page, 'a journey page');

    await page.goto('/admin/funnel');
    await expect(page.getByTestId('funnel')).toBeVisible();
    await expectAccessible(page, '/admin/funnel');

    await page.goto('/admin/members');
    await expect(page.getByTestId('members')).toBeVisible();
    await expectAccessible(page, '/admin/members');

    await page.goto('/admin/invites');
    await expect(page.getByTestId('invites')).toBeVisible();
    await expectAccessible(page, '/admin/invites');

    for (const path of ['/admin/settings', '/admin/staff', '/admin/audit']) {
      await page.goto(path);
      await expect(page.locator('main h1')).toBeVisible();
      await expectAccessible(page, path);
    }

    // The demo's own site poster.
    await page.goto('/admin/invites');
    const poster = await page.getByRole('link', { name: 'Poster', exact: true }).first().getAttribute('href');
    await page.goto(poster!);
    await expect(page.getByTestId('poster')).toBeVisible();
    await expectAccessible(page, 'a poster page');
  });

  // Last: it changes the completed journey's pass.
  test('revoking the pass voids it', async ({ page }) => {
    await signIn(page);
    await page.goto(`/admin/journeys/${completed}`);
    let question = '';
    page.once('dialog', async (dialog) => {
      question = dialog.message();
      await dialog.accept();
    });
    await page.getByTestId('revoke-pass').click();
    await expect(page).toHaveURL(new RegExp(`/admin/journeys/${completed}\\?done=revoked`));
    expect(question).toContain('Revoke');
    await expect(page.getByTestId('flash')).toContainText('The pass is revoked');
    await expect(page.getByTestId('pass-state').filter({ hasText: 'Google Wallet' })).toContainText('Revoked');
    await expect(page.getByTestId('revoke-pass')).toHaveCount(0);
  });
});

test('a site poster: created, printable with its QR code, and its link opens the phone page', async ({ page }) => {
  await signIn(page);
  await page.goto('/admin/invites');
  await page.locator('#poster-site').selectOption({ label: 'Northwind Shoreditch' });
  await page.locator('#poster-label').fill('Lobby, by the lifts');
  await page.getByTestId('create-poster').click();

  await expect(page).toHaveURL(/\/admin\/invites\/\d+\/poster/);
  const id = new URL(page.url()).pathname.match(/\/admin\/invites\/(\d+)\/poster/)![1];
  const poster = page.getByTestId('poster');
  await expect(poster).toBeVisible();
  await expect(poster.locator('.poster-qr svg')).toBeVisible();
  await expect(poster.locator('.poster-steps li')).toHaveCount(3);
  await expect(poster.locator('.poster-site')).toHaveText('Northwind Shoreditch');

  const png = await page.request.get(`/admin/invites/${id}/qr.png`);
  expect(png.status()).toBe(200);
  expect(png.headers()['content-type']).toBe('image/png');
  expect((await png.body()).subarray(0, 8).toString('binary')).toBe('\x89PNG\r\n\x1a\n');

  // The new invite is listed, and the URL on the poster is a working invite.
  const url = (await poster.locator('.poster-url').textContent())!.trim();
  await page.goto('/admin/invites');
  await expect(page.locator(`tr[data-invite="${id}"]`)).toContainText('Northwind Shoreditch');
  await expect(page.locator(`tr[data-invite="${id}"]`)).toContainText('active');
  await new PhonePage(page).open(new URL(url).pathname);
});

test('an email invite goes out to the chosen member', async ({ page }) => {
  const before = mailsTo('ada@example.com');
  await signIn(page);
  await page.goto('/admin/invites');
  const members = page.locator('#invite-members');
  const ada = await members.locator('option', { hasText: 'Ada Lovelace' }).getAttribute('value');
  await members.selectOption(ada!);
  await page.getByTestId('send-invites').click();
  await expect(page).toHaveURL(/\/admin\/invites\?done=/);
  await expect(page.getByTestId('flash')).toContainText('on its way by email');
  // The development mailer writes .eml files to the data folder's outbox.
  await expect.poll(() => mailsTo('ada@example.com')).toBeGreaterThan(before);
});

test('the member pages have no serious accessibility problems', async ({ page }) => {
  const phone = new PhonePage(page);
  await phone.open();
  await phone.waitForHydration();
  await expectAccessible(page, 'the phone page of the demo invite');

  // Katherine Johnson: a journey of its own, so the completed journey above stays as it is.
  await walkToWallet(page, '07400 123004', '+447400123004', 'Katherine');
  await expect(new WalletPage(page).google).toBeVisible();
  await expectAccessible(page, 'the wallet page');
});
