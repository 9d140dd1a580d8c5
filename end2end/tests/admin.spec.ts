import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PhonePage, numbers } from './fixtures/phone-page';
import { WalletPage, pressGoogle } from './fixtures/wallet-page';
import { linkSentTo, outboxMark } from './fixtures/outbox';
import { admin, AuditPage, FunnelPage, MemberPage, MembersPage, MessagesPage, SettingsPage, StaffPage } from './fixtures/admin-page';
import { AdminLoginPage, signIn } from './fixtures/admin-login-page';
import { JourneyPage } from './fixtures/admin-journeys-page';
import { InvitesPage, PosterPage } from './fixtures/admin-invites-page';
import { passIdentity, zipEntry } from './fixtures/pkpass';

// The operator dashboard under /admin, on a desktop, against the real server (desktop project).

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
  const login = new AdminLoginPage(page);
  await login.fillSignIn('not-the-password');
  await expect(page).toHaveURL(/\/admin\/login\?error=invalid/);
  await expect(login.error).toContainText("don't match");

  const journeys = await login.signIn();
  await expect(journeys.table).toBeVisible();
  await expect(journeys.signedInAs(admin.email)).toBeVisible();
});

test('signing out ends the session', async ({ page }) => {
  const journeys = await signIn(page);
  await journeys.signOut();
  const login = new AdminLoginPage(page);
  await expect(page).toHaveURL(/\/admin\/login/);
  await expect(login.error).toContainText('You have signed out');
  await journeys.open();
  await expect(page).toHaveURL(/\/admin\/login/);
  await expect(login.submit).toBeVisible();
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
    const journeys = await signIn(page);
    await expect(journeys.row(completed)).toHaveCount(1);
    await expect(journeys.journeyLink(completed, 'Ada Lovelace')).toHaveAttribute(
      'href',
      `/admin/journeys/${completed}`,
    );
    await expect(journeys.outcome(completed)).toHaveText('Completed');
    await expect(journeys.wallet(completed)).toHaveText('Google');
  });

  test('the journey page shows the timeline', async ({ page }) => {
    const journeys = await signIn(page);
    const journey = await journeys.openJourney(completed, 'Ada Lovelace');
    await expect(page).toHaveURL(new RegExp(`/admin/journeys/${completed}$`));
    await expect(journey.heading).toHaveText('Journey of Ada Lovelace');
    await expect(journey.outcome).toHaveText('Completed');
    await expect(journey.timelineSteps).toContainText([
      'Invite opened',
      'Number entered',
      'Member matched',
      'SMS sent',
      'Link opened',
      'Sent to Google Wallet',
    ]);
    await expect(journey.passState('Google Wallet')).toContainText('Active');
  });

  test('filtering by outcome "Not found" shows the miss and why', async ({ page }) => {
    const journeys = await signIn(page);
    await journeys.filterByOutcome('not_found');
    await expect(page).toHaveURL(/[?&]outcome=not_found/);
    await expect(journeys.row(missed)).toHaveCount(1);
    // Every row on the filtered list is a miss.
    await expect(
      journeys.rows.filter({ hasNot: page.locator('.badge', { hasText: /^Not found$/ }) }),
    ).toHaveCount(0);

    const journey = await journeys.openJourney(missed);
    await expect(page).toHaveURL(new RegExp(`/admin/journeys/${missed}$`));
    await expect(journey.outcome).toHaveText('Not found');
    await expect(journey.missReason).toContainText('No member has this number');
  });

  test('searching by the last digits of a number finds the member', async ({ page }) => {
    const journeys = await signIn(page);
    await journeys.search('123001');
    await expect(page).toHaveURL(/[?&]q=123001/);
    await expect(journeys.row(completed)).toHaveCount(1);
    await expect(journeys.row(missed)).toHaveCount(0);
    await expect(
      journeys.rows.filter({ hasNot: page.getByRole('link', { name: 'Ada Lovelace', exact: true }) }),
    ).toHaveCount(0);
  });

  test('the CSV export has the header and the completed journey', async ({ page }) => {
    const journeys = await signIn(page);
    await expect(journeys.exportCsv).toHaveAttribute('href', /^\/admin\/journeys\.csv\?/);
    const download = await journeys.downloadCsv();
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
    const login = new AdminLoginPage(page);
    await login.open();
    await expect(login.submit).toBeVisible();
    await expectAccessible(page, '/admin/login');

    const journeys = await login.signIn();
    await expect(journeys.row(completed)).toHaveCount(1);
    await expectAccessible(page, '/admin (journeys)');

    const journey = new JourneyPage(page);
    await journey.open(completed);
    await expect(journey.timeline).toBeVisible();
    await expectAccessible(page, 'a journey page');

    const funnel = new FunnelPage(page);
    await funnel.open();
    await expect(funnel.funnel).toBeVisible();
    await expectAccessible(page, funnel.path);

    const members = new MembersPage(page);
    await members.open();
    await expect(members.members).toBeVisible();
    await expectAccessible(page, members.path);

    const invites = new InvitesPage(page);
    await invites.open();
    await expect(invites.invites).toBeVisible();
    await expectAccessible(page, '/admin/invites');

    for (const screen of [new SettingsPage(page), new StaffPage(page), new AuditPage(page)]) {
      await screen.open();
      await expect(screen.mainHeading).toBeVisible();
      await expectAccessible(page, screen.path);
    }

    // The demo's own site poster.
    await invites.open();
    const href = await invites.posterLinks.first().getAttribute('href');
    const poster = new PosterPage(page);
    await poster.open(href!);
    await expect(poster.poster).toBeVisible();
    await expectAccessible(page, 'a poster page');
  });

  // Last: it changes the completed journey's pass.
  test('revoking the pass voids it', async ({ page }) => {
    await signIn(page);
    const journey = new JourneyPage(page);
    await journey.open(completed);
    const question = await journey.revokePass(completed);
    expect(question).toContain('Revoke');
    await expect(journey.flash).toContainText('The pass is revoked');
    await expect(journey.passState('Google Wallet')).toContainText('Revoked');
    await expect(journey.revoke).toHaveCount(0);
  });
});

test('a site poster: created, printable with its QR code, and its link opens the phone page', async ({ page }) => {
  await signIn(page);
  const invites = new InvitesPage(page);
  await invites.open();
  const poster = await invites.createPoster('Northwind Shoreditch', 'Lobby, by the lifts');

  await expect(page).toHaveURL(/\/admin\/invites\/\d+\/poster/);
  const id = poster.inviteId();
  await expect(poster.poster).toBeVisible();
  await expect(poster.qr).toBeVisible();
  await expect(poster.steps).toHaveCount(3);
  await expect(poster.site).toHaveText('Northwind Shoreditch');

  const png = await page.request.get(`/admin/invites/${id}/qr.png`);
  expect(png.status()).toBe(200);
  expect(png.headers()['content-type']).toBe('image/png');
  expect((await png.body()).subarray(0, 8).toString('binary')).toBe('\x89PNG\r\n\x1a\n');

  // The new invite is listed, and the URL on the poster is a working invite.
  const url = await poster.inviteUrl();
  await invites.open();
  await expect(invites.row(id)).toContainText('Northwind Shoreditch');
  await expect(invites.row(id)).toContainText('active');
  await new PhonePage(page).open(new URL(url).pathname);
});

test('an email invite goes out to the chosen member', async ({ page }) => {
  const before = mailsTo('ada@example.com');
  await signIn(page);
  const invites = new InvitesPage(page);
  await invites.open();
  await invites.sendInviteTo('Ada Lovelace');
  await expect(page).toHaveURL(/\/admin\/invites\?done=/);
  await expect(invites.flash).toContainText('on its way by email');
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

test('the member page shows where the pass is, and a lost phone voids it and sends a new invite', async ({ page }) => {
  // Alan Turing: a pass on a phone, as Wallet registers it with the PassKit web service.
  const { link } = await walkToWallet(page, '07400 123003', '+447400123003', 'Alan');
  const download = await page.request.post(`${link}/apple`);
  expect(download.status()).toBe(200);
  const pass = passIdentity(await download.body());
  const registration = `/passkit/v1/devices/e2e-phone-0001/registrations/${pass.passType}/${pass.serial}`;
  const registered = await page.request.post(registration, {
    headers: { Authorization: `ApplePass ${pass.authToken}` },
    data: { pushToken: 'e2e0001' },
  });
  expect(registered.status()).toBe(201);
  const before = mailsTo('alan@example.com');

  // The members list, filtered to passes in a wallet, has Alan; his page lists the phone.
  await signIn(page);
  const members = new MembersPage(page);
  await members.open();
  await page.getByLabel('Pass', { exact: true }).selectOption({ label: 'In a wallet' });
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/[?&]pass=in_wallet/);
  const row = members.members.getByRole('row').filter({ hasText: 'Alan Turing' });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('pass-state-cell')).toHaveText('In a wallet');
  await row.getByRole('link', { name: 'Alan Turing' }).click();
  const member = new MemberPage(page);
  await expect(member.mainHeading).toHaveText('Alan Turing');
  await expect(member.devices).toHaveCount(1);
  await expect(member.devices.first()).toContainText('…e-0001');
  await expect(member.devices.first()).toContainText('on the device');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: 'test-results/member-devices-desktop.png', fullPage: true });

  // Phone lost: a required tick, then every pass is voided and a new invite is emailed.
  await member.reportLostPhone(false);
  await expect(member.lostPhone.getByLabel('Email a new invite for the new phone')).toBeChecked();
  // The browser holds the form until the tick is there.
  await expect(page).not.toHaveURL(/[?&](done|error)=/);
  await page.screenshot({ path: 'test-results/member-lost-phone-desktop.png', fullPage: true });
  await member.reportLostPhone(true);
  await expect(page).toHaveURL(/[?&]done=phone-lost-invite-sent/);
  await expect(member.flash).toContainText('a new invite is on its way by email');
  await expect(member.passStates.first()).toContainText('Revoked');
  await expect(member.lostPhone).toHaveCount(0);
  await expect.poll(() => mailsTo('alan@example.com')).toBeGreaterThan(before);
  await expectAccessible(page, 'the member page after a lost phone');

  // The phone is told: its pass lists as changed and is served voided.
  const latest = await page.request.get(`/passkit/v1/passes/${pass.passType}/${pass.serial}`, {
    headers: { Authorization: `ApplePass ${pass.authToken}` },
  });
  expect(latest.status()).toBe(200);
  expect(JSON.parse(zipEntry(await latest.body(), 'pass.json').toString('utf8')).voided).toBe(true);

  // On a small screen the devices and the notice wrap instead of running off the page.
  await page.setViewportSize({ width: 320, height: 800 });
  await page.screenshot({ path: 'test-results/member-devices-320.png', fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(320);
});

test('staff write to the holders of a site, and see how far the message reached', async ({ page }) => {
  // A holder of its own: Katherine Johnson's Apple pass at the demo site.
  const { link } = await walkToWallet(page, '07400 123004', '+447400123004', 'Katherine');
  expect((await page.request.post(`${link}/apple`)).status()).toBe(200);
  await signIn(page);
  const messages = new MessagesPage(page);
  await messages.open();
  await expect(messages.mainHeading).toHaveText('Messages to holders');
  await messages.send('Holders of Northwind Shoreditch', 'The lobby door is closed today: use the side entrance.');
  await expect(page).toHaveURL(/[?&]done=message-sent/);
  const row = messages.row('The lobby door is closed today');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('reach')).toContainText(/^\d+ pass(es)?: \d+ on an Apple device \(pushed\)/);
  await expectAccessible(page, 'the messages page');
  await page.setViewportSize({ width: 320, height: 800 });
  await page.screenshot({ path: 'test-results/messages-320.png', fullPage: true });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);

  // The sites' doors, in the settings, on the same small screen.
  const settings = new SettingsPage(page);
  await settings.open();
  await expect(page.getByRole('heading', { name: 'Sites at the door' })).toBeVisible();
  await settings.placeFirstSite('51.5246', '-0.0781', 'Main entrance');
  await expect(page).toHaveURL(/[?&]done=site-saved/);
  await page.screenshot({ path: 'test-results/settings-sites-320.png', fullPage: true });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
});

test('a member moving to a new phone gets a new pass there, and the old phone\'s pass ends once it is added', async ({ page, browser }) => {
  // Grace Hopper on her old phone: a pass, added to Wallet there.
  const register = async (device: string, pass: { passType: string; serial: string; authToken: string }) =>
    page.request.post(`/passkit/v1/devices/${device}/registrations/${pass.passType}/${pass.serial}`, {
      headers: { Authorization: `ApplePass ${pass.authToken}` },
      data: { pushToken: `${device}-push` },
    });
  const { link: oldLink } = await walkToWallet(page, '07400 123002', '+447400123002', 'Grace');
  const oldPass = passIdentity(await (await page.request.post(`${oldLink}/apple`)).body());
  expect((await register('e2e-old-phone', oldPass)).status()).toBe(201);

  // Other tests gave Grace passes on other journeys too (those wait as new phones' passes):
  // count what this test adds.
  await signIn(page);
  const members = new MembersPage(page);
  const member = new MemberPage(page);
  const waiting = async () => {
    await members.open();
    await members.members.getByRole('link', { name: 'Grace Hopper' }).click();
    return member.passesIn('Waiting to be added on a new phone').count();
  };
  const before = await waiting();

  // Her new phone, a browser of its own: the invite again. The wallet page says what adding it does.
  const phone = await browser.newContext({ viewport: { width: 320, height: 800 } });
  const newPhone = await phone.newPage();
  const { link } = await walkToWallet(newPhone, '07400 123002', '+447400123002', 'Grace');
  const notice = newPhone.getByTestId('other-phone');
  await expect(notice).toHaveText(
    'You already have this pass on another phone. Once you add it here, the pass on the other phone stops working.',
  );
  await newPhone.screenshot({ path: 'test-results/wallet-new-phone-320.png', fullPage: true });
  expect(await newPhone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
  const newPass = passIdentity(await (await newPhone.request.post(`${link}/apple`)).body());
  expect(newPass.serial).not.toBe(oldPass.serial);
  expect(newPass.authToken).not.toBe(oldPass.authToken);

  // Staff see it waiting; the old phone's pass still works.
  expect(await waiting()).toBe(before + 1);
  const fetchOld = async () => {
    const latest = await page.request.get(`/passkit/v1/passes/${oldPass.passType}/${oldPass.serial}`, {
      headers: { Authorization: `ApplePass ${oldPass.authToken}` },
    });
    expect(latest.status()).toBe(200);
    return JSON.parse(zipEntry(await latest.body(), 'pass.json').toString('utf8'));
  };
  expect((await fetchOld()).voided).toBeUndefined();

  // The new phone adds it: the old pass is void, and the member page says why.
  expect((await register('e2e-new-phone', newPass)).status()).toBe(201);
  expect((await fetchOld()).voided).toBe(true);
  expect(await waiting()).toBe(before);
  await expect(member.passesIn('Replaced on a new phone').first()).toBeVisible();
  await expectAccessible(page, 'the member page after a new phone');
  await page.setViewportSize({ width: 320, height: 800 });
  await page.screenshot({ path: 'test-results/member-new-phone-320.png', fullPage: true });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
  await phone.close();
});
