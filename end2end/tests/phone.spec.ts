import { test, expect } from '@playwright/test';
import { PhonePage, numbers } from './fixtures/phone-page';

for (const js of [false, true]) {
  test.describe(`phone page, JavaScript ${js ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled: js });

    test('renders the operator, the form and its labels', async ({ page }) => {
      const phone = new PhonePage(page);
      await phone.open();
      await expect(page.getByText('Northwind Workspace').first()).toBeVisible();
      await expect(phone.country).toHaveValue('GB');
      await expect(phone.number).toHaveAttribute('type', 'tel');
      await expect(phone.submit).toBeVisible();
      if (js) await phone.waitForHydration();
      await page.screenshot({ path: `test-results/phone-${js ? 'js' : 'nojs'}-${test.info().project.name}.png`, fullPage: true });
    });

    test('a directory number goes on to "check your messages"', async ({ page }) => {
      const phone = new PhonePage(page);
      await phone.open();
      if (js) await phone.waitForHydration();
      await phone.enter(numbers.ada);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your messages');
      await expect(page.getByTestId('sent')).toContainText('•••• ••• 001');
      await page.screenshot({ path: `test-results/sent-${js ? 'js' : 'nojs'}-${test.info().project.name}.png`, fullPage: true });
    });

    test('an unknown number gets the not-found message with support, and keeps the number', async ({ page }) => {
      const phone = new PhonePage(page);
      await phone.open();
      if (js) await phone.waitForHydration();
      await phone.enter(numbers.unknown);
      await expect(phone.notFound).toBeVisible();
      await expect(phone.notFound).toContainText("We couldn't find that number");
      await expect(phone.notFound).toContainText('holds your current mobile number');
      await expect(phone.notFound.getByRole('link', { name: 'help@northwind.example' })).toHaveAttribute(
        'href',
        'mailto:help@northwind.example',
      );
      await expect(phone.number).toHaveValue(js ? numbers.unknown : '+447400123099');
      await page.screenshot({ path: `test-results/not-found-${js ? 'js' : 'nojs'}-${test.info().project.name}.png`, fullPage: true });
    });
  });
}

test.describe('phone page, hydrated', () => {
  test('client-side validation answers a malformed number before any request', async ({ page }) => {
    const phone = new PhonePage(page);
    const calls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/')) calls.push(r.url());
    });
    await phone.open();
    await phone.waitForHydration();
    await phone.enter('07400 12ab01');
    await expect(phone.fieldError).toHaveText('A phone number has digits only. Remove any letters.');
    await expect(phone.number).toHaveAttribute('aria-invalid', 'true');
    await expect(phone.number).toBeFocused();
    await phone.enter('1234');
    await expect(phone.fieldError).toHaveText('That number is too short. Enter your whole mobile number.');
    expect(calls).toEqual([]);
    await page.screenshot({ path: `test-results/validation-${test.info().project.name}.png`, fullPage: true });
  });

  test('the server still decides: a landline is refused with a reason', async ({ page }) => {
    const phone = new PhonePage(page);
    await phone.open();
    await phone.waitForHydration();
    await phone.enter('020 7946 0123');
    await expect(phone.fieldError).toContainText('looks like a landline');
    await expect(phone.number).toHaveValue('020 7946 0123');
  });
});

test('an unknown invite gets a clear page, not an error code', async ({ page }) => {
  const res = await page.goto('/i/AAAAAAAAAAAAAAAAAAAAAA');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText("This link isn't valid");
});
