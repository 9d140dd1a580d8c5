import { test, expect } from '@playwright/test';
import { PhonePage, demoInvitePath } from './fixtures/phone-page';

// Against the second server, which keeps the default limits (one text per number per minute).
const limitsBase = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 1}`;
test.use({ baseURL: limitsBase });

// Each device profile uses its own member, so the two runs do not limit each other.
const member: Record<string, { typed: string; last3: string }> = {
  pixel: { typed: '07400 123001', last3: '001' },
  iphone: { typed: '07400 123002', last3: '002' },
};

test('"send again" waits, and says how long', async ({ page }, info) => {
  const { typed, last3 } = member[info.project.name];
  const phone = new PhonePage(page);
  await phone.open(demoInvitePath('.data-limits'));
  await phone.waitForHydration();
  await phone.enter(typed);
  await expect(page.getByTestId('sent')).toContainText(`•••• ••• ${last3}`);
  await page.getByRole('button', { name: 'Send the text again' }).click();
  await expect(page.getByRole('status')).toContainText(/Please wait \d+ seconds before asking for another text\./);
  await page.screenshot({ path: `test-results/send-again-wait-${info.project.name}.png`, fullPage: true });
});

test('a limited number gets "Too many attempts" and keeps what was typed', async ({ page }, info) => {
  const { typed } = member[info.project.name];
  const phone = new PhonePage(page);
  await phone.open(demoInvitePath('.data-limits'));
  await phone.waitForHydration();
  await phone.enter(typed);
  await expect(phone.fieldError).toHaveText(/^Too many attempts\. Try again in \d+ seconds\.$/);
  await expect(phone.number).toHaveValue(typed);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Get your digital pass');
});
