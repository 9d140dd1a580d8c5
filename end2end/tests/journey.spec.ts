import { test, expect } from '@playwright/test';
import { PhonePage, numbers } from './fixtures/phone-page';
import { WalletPage, pressGoogle } from './fixtures/wallet-page';
import { codeSentTo, linkSentTo, outboxMark } from './fixtures/outbox';

// The whole journey, from the invite URL to the wallet, with JavaScript on and off.
for (const js of [true, false]) {
  test.describe(`journey, JavaScript ${js ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled: js });

    test('invite → number → SMS link → Add to Apple Wallet / Google Wallet', async ({ page }, info) => {
      const phone = new PhonePage(page);
      await phone.open();
      if (js) await phone.waitForHydration();
      const mark = await outboxMark(page);
      await phone.enter('07400 123002');
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your messages');

      const link = await linkSentTo(page, '+447400123002', mark);
      await page.goto(link);
      const wallet = new WalletPage(page);
      await expect(wallet.heading).toHaveText('Your pass is ready, Grace');
      // Before a button binds the link to this browser, nothing of the credential shows (message
      // apps fetch links for previews); the first name is enough.
      await expect(page.getByText('42 / 01002')).toHaveCount(0);
      await expect(wallet.apple).toBeVisible();
      await expect(wallet.google).toBeVisible();
      await page.screenshot({ path: `test-results/wallet-${js ? 'js' : 'nojs'}-${info.project.name}.png`, fullPage: true });

      // Add to Apple Wallet: a .pkpass download, a zip with the four required files.
      const [download] = await Promise.all([page.waitForEvent('download'), wallet.apple.click()]);
      expect(download.suggestedFilename()).toMatch(/\.pkpass$/);
      const stream = await download.createReadStream();
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      expect(bytes.subarray(0, 4).toString('binary')).toBe('PK\x03\x04');
      const names = bytes.toString('latin1');
      for (const f of ['pass.json', 'manifest.json', 'signature', 'icon.png']) expect(names).toContain(f);

      // The content type, as Safari needs it (the same browser may fetch again).
      const res = await page.request.post(`${link}/apple`);
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toBe('application/vnd.apple.pkpass');

      // Bound to this browser now: the page shows the card the pass carries.
      await page.goto(link);
      await expect(page.getByText('42 / 01002')).toBeVisible();

      // Add to Google Wallet: the button's form posts and answers with Google's save link, a
      // three-part JWT (the browser context's cookie shows it is the same browser).
      await expect(page.locator(`form[action="${link}/google"][method="post"]`)).toHaveCount(1);
      const save = await pressGoogle(page, link);
      expect(save).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\/[\w-]+\.[\w-]+\.[\w-]+$/);
    });
  });
}

test('the not-found path offers support and the profile tip', async ({ page }) => {
  const phone = new PhonePage(page);
  await phone.open();
  await phone.waitForHydration();
  await phone.enter(numbers.notSynced);
  await expect(phone.notFound).toContainText("We couldn't find that number");
  await expect(phone.notFound.getByRole('link')).toHaveAttribute('href', 'mailto:help@northwind.example');
});

test('a link opened in another browser is refused with a clear page', async ({ page, browser }) => {
  const phone = new PhonePage(page);
  await phone.open();
  const mark = await outboxMark(page);
  await phone.enter('07400 123005');
  const link = await linkSentTo(page, '+447400123005', mark);
  await page.goto(link);
  await expect(new WalletPage(page).google).toBeVisible();
  expect(await pressGoogle(page, link)).toContain('/gp/v/save/');

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  const res = await otherPage.goto(new URL(link, page.url()).toString());
  expect(res?.status()).toBe(409);
  await expect(otherPage.getByRole('heading', { level: 1 })).toHaveText('This link was already used');
  await expect(otherPage.getByRole('button', { name: 'Start again' })).toBeVisible();
  await otherPage.screenshot({ path: `test-results/link-used-${test.info().project.name}.png`, fullPage: true });
  await other.close();
});

test('the code from the text continues on the same page (iOS one-time-code, WebOTP line)', async ({ page }) => {
  const phone = new PhonePage(page);
  await phone.open();
  const mark = await outboxMark(page);
  await phone.enter('07400 123003');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your messages');
  await linkSentTo(page, '+447400123003', mark);
  const code = page.getByLabel('Or enter the 6-digit code from the text');
  await expect(code).toHaveAttribute('autocomplete', 'one-time-code');
  await page.screenshot({ path: `test-results/sent-code-${test.info().project.name}.png`, fullPage: true });
  await code.fill(await codeSentTo(page, '+447400123003', mark));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pass is ready, Alan');
});

test('on Android the code in the text continues by itself (WebOTP)', async ({ page }) => {
  // Chromium offers WebOTP only on Android with a real SMS; the test plays the phone's part:
  // it answers the page's credentials request with the code from the text the server sent.
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    w.OTPCredential = function OTPCredential() {};
    Object.defineProperty(navigator, 'credentials', {
      configurable: true,
      value: {
        get: (options: unknown) =>
          new Promise((resolve) => {
            w.__otpOptions = JSON.stringify(options);
            w.__deliverOtp = (code: string) => resolve({ type: 'otp', code });
          }),
      },
    });
  });
  const phone = new PhonePage(page);
  await phone.open();
  await phone.waitForHydration();
  const mark = await outboxMark(page);
  await phone.enter('07400 123004');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your messages');
  await expect(page.locator('.webotp')).toHaveAttribute('data-webotp', 'listening');
  expect(await page.evaluate(() => (window as unknown as Record<string, unknown>).__otpOptions)).toBe(
    '{"otp":{"transport":["sms"]}}',
  );
  const code = await codeSentTo(page, '+447400123004', mark);
  await page.evaluate((c) => ((window as unknown as Record<string, (c: string) => void>).__deliverOtp)(c), code);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pass is ready, Katherine');
});
