import { test, expect } from '@playwright/test';
import { admin } from './fixtures/admin-page';
import { AdminLoginPage, signIn } from './fixtures/admin-login-page';
import { JourneysPage } from './fixtures/admin-journeys-page';
import { SecurityPage, standIn, steerStandIn } from './fixtures/admin-security-page';

// Staff single sign-on (OpenID Connect) in the browser, against the provider stand-in that
// playwright.config.ts starts (oidc-stand-in.mjs, which signs real RS256 tokens): an admin saves
// the provider, staff sign in through it, a token issued to another client signs no one in
// (desktop project). Single sign-on is never required and is off again at the end: the specs
// after this one sign in with the demo admin's password on the same server.

const operator = 'northwind';

test.afterEach(async ({ browser, baseURL }, testInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  // A failure part-way leaves the provider saved: turn it off for the specs after this one.
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page);
  const security = new SecurityPage(page);
  await security.open();
  await security.turnSsoOff();
  await context.close();
});

test('staff sign in through the provider; a token for another client signs no one in', async ({
  page,
  request,
  baseURL,
}) => {
  const login = new AdminLoginPage(page);
  const journeys = new JourneysPage(page);
  const security = new SecurityPage(page);
  // The stand-in signs in the demo admin, with a valid token.
  await steerStandIn(request, { mode: 'valid', email: admin.email });

  await test.step('an admin saves the provider, without requiring it', async () => {
    await signIn(page);
    await security.open();
    await expect(security.mainHeading).toHaveText('Sign-in');
    await expect(security.callbackUrl).toHaveText(`${baseURL}/admin/sso/callback`);
    await security.saveSso(standIn);
    await expect(security.flash).toHaveText('Single sign-on is saved.');
    await expect(security.issuer).toHaveValue(standIn.issuer);
    await expect(security.clientId).toHaveValue(standIn.clientId);
    await expect(security.requireSso).not.toBeChecked();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: 'test-results/sso-settings-1280.png', fullPage: true });
  });

  await test.step('signed out, the admin signs in through the provider', async () => {
    await security.signOut();
    await expect(page).toHaveURL(/\/admin\/login/);
    await expect(login.ssoSubmit).toBeVisible();
    await page.setViewportSize({ width: 320, height: 760 });
    await page.screenshot({ path: 'test-results/sso-sign-in-320.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });
    // On to the stand-in (the server's page refreshes to its authorization endpoint), which
    // approves at once and sends the browser back to the callback, and on to the dashboard.
    await login.continueWithSso(operator);
    await expect(page).toHaveURL(/\/admin$/);
    await expect(journeys.heading).toHaveText('Journeys');
    await expect(journeys.signedInAs(admin.email)).toBeVisible();
  });

  await test.step('a token issued to another client signs no one in', async () => {
    await steerStandIn(request, { mode: 'wrong-audience' });
    await journeys.signOut();
    await expect(page).toHaveURL(/\/admin\/login/);
    await login.continueWithSso(operator);
    await expect(page).toHaveURL(/\/admin\/sso\/callback\?/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Single sign-on did not sign you in');
    await expect(page.getByText('sent an answer that could not be trusted')).toBeVisible();
    await expect(journeys.signedInAs(admin.email)).toHaveCount(0);
    // No session came of it: the dashboard sends the browser to sign in.
    await journeys.open();
    await expect(page).toHaveURL(/\/admin\/login/);
    await expect(login.submit).toBeVisible();
  });

  await test.step('single sign-on is turned off again', async () => {
    await signIn(page);
    await security.open();
    await security.turnSsoOff();
    await expect(security.flash).toHaveText('Single sign-on is off: staff sign in with their passwords.');
    await expect(security.issuer).toHaveValue('');
    await expect(security.clientId).toHaveValue('');
  });
});
