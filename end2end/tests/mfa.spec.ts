import { test, expect, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { signIn } from './fixtures/admin-login-page';
import { JourneysPage } from './fixtures/admin-journeys-page';
import {
  CodePage,
  MfaPage,
  StaffAccountsPage,
  nextTotp,
  signInWithPassword,
  totp,
  wrongTotp,
} from './fixtures/admin-mfa-page';

// A staff member sets up a second factor (TOTP) and signs in with it, in the browser: the QR code
// and key, a wrong first code refused, the recovery codes shown once, then the code step at every
// password sign-in (a wrong code refused, the next step's code in), and a recovery code typed in
// capitals, good once (desktop project). On a new staff account: the demo admin's own sign-in and
// the operator's settings stay as they are for the specs that share the server.

/** Signs out from the header and waits for the sign-in page, so the next navigation cannot race
 * the sign-out. */
async function signOut(page: Page) {
  await new JourneysPage(page).signOut();
  await expect(page).toHaveURL(/\/admin\/login/);
}

test('a staff member sets up an authenticator app and signs in with its codes', async ({ page }) => {
  // Seven sign-ins in one walk, on a shared 2-core machine: three times the usual 30 s.
  test.slow();
  const email = `totp.${randomBytes(6).toString('hex')}@northwind.example`;
  const password = 'a long enough password for totp';
  const journeys = new JourneysPage(page);
  const staff = new StaffAccountsPage(page);
  const mfa = new MfaPage(page);
  const codePage = new CodePage(page);

  await test.step('an admin adds the staff account', async () => {
    await signIn(page);
    await staff.open();
    await staff.add(email, password, 'staff');
    await expect(staff.flash).toHaveText('The staff account is created.');
    await expect(staff.row(email)).toContainText('staff');
    await expect(staff.secondFactor(email)).toHaveText('Off');
    await signOut(page);
  });

  let key = '';
  let codes: string[] = [];
  await test.step('set up: the QR code, a wrong code, the right one, the recovery codes', async () => {
    await signInWithPassword(page, email, password);
    await expect(page).toHaveURL(/\/admin$/);
    await expect(journeys.heading).toHaveText('Journeys');
    await mfa.openFromAccount();
    await expect(mfa.state).toHaveText(/^Off:/);
    await mfa.setUpButton.click();
    await expect(mfa.state).toHaveText(/^Setting up: /);
    await expect(mfa.qr.locator('svg')).toBeVisible();
    // 20 random bytes: 32 base32 characters, shown in groups of four for typing.
    await expect(mfa.key).toHaveText(/^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/);
    key = await mfa.secret();
    await page.setViewportSize({ width: 320, height: 900 });
    await page.screenshot({ path: 'test-results/mfa-setup-320.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    await mfa.confirm(wrongTotp(key));
    await expect(mfa.flash).toContainText('That code is not right');
    await expect(mfa.state).toHaveText(/^Setting up: /);
    expect(await mfa.secret(), 'the same key after a wrong code').toBe(key);

    await mfa.confirm(totp(key));
    await expect(mfa.recoveryHeading).toBeVisible();
    codes = await mfa.shownRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    await mfa.done.click();
    await expect(mfa.state).toHaveText(/^On since .+\. 10 recovery codes left\.$/);
    await signOut(page);
  });

  await test.step('the password leads to the code step: a wrong code, then the next one', async () => {
    await signInWithPassword(page, email, password);
    await expect(page).toHaveURL(/\/admin\/login\/code$/);
    await expect(codePage.heading).toBeVisible();
    await page.setViewportSize({ width: 320, height: 700 });
    await page.screenshot({ path: 'test-results/mfa-code-320.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    await codePage.enter(wrongTotp(key));
    await expect(page).toHaveURL(/\/admin\/login\/code\?error=wrong-code$/);
    await expect(codePage.error).toHaveText(/^That code is not right, or was used already\./);

    // The setup used this step's code and a step is good once: the next step's code.
    await codePage.enter(nextTotp(key));
    await expect(page).toHaveURL(/\/admin$/);
    await expect(journeys.heading).toHaveText('Journeys');
    await expect(journeys.signedInAs(email)).toBeVisible();
    await signOut(page);
  });

  await test.step('a recovery code, typed in capitals, signs in once', async () => {
    const recovery = codes[0].toUpperCase();
    await signInWithPassword(page, email, password);
    await expect(codePage.heading).toBeVisible();
    await codePage.enter(recovery);
    await expect(page).toHaveURL(/\/admin$/);
    await expect(journeys.heading).toHaveText('Journeys');
    await mfa.open();
    await expect(mfa.state).toContainText('9 recovery codes left.');
    await signOut(page);

    await signInWithPassword(page, email, password);
    await codePage.enter(recovery);
    await expect(codePage.error).toContainText('That code is not right, or was used already.');
  });

  await test.step('the admin sees the second factor on', async () => {
    await signIn(page);
    await staff.open();
    await expect(staff.secondFactor(email)).toHaveText(/^On/);
    await expect(
      staff.row(email).getByRole('button', { name: `Reset the second factor of ${email}` }),
    ).toBeVisible();
  });
});
