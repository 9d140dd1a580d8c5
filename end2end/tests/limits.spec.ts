import { test, expect } from '@playwright/test';
import { PhonePage, demoInvitePath } from './fixtures/phone-page';

// Against the second server, which keeps the default per-number limits (one text per number per
// minute). The config chose its port (see ports.ts) and left it in the environment.
const limitsBase = `http://127.0.0.1:${process.env.E2E_LIMITS_PORT}`;
test.use({ baseURL: limitsBase });

// Each test and each device profile uses a member of its own, and each test uses up that
// member's limit itself, so none depends on another having run, or on how long ago it ran.
const member: Record<string, Record<'sendAgain' | 'limited', { typed: string; last3: string }>> = {
  pixel: {
    sendAgain: { typed: '07400 123001', last3: '001' },
    limited: { typed: '07400 123003', last3: '003' },
  },
  iphone: {
    sendAgain: { typed: '07400 123002', last3: '002' },
    limited: { typed: '07400 123004', last3: '004' },
  },
};

test('"send again" waits, and says how long', async ({ page }, info) => {
  const { typed, last3 } = member[info.project.name].sendAgain;
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
  const { typed, last3 } = member[info.project.name].limited;
  const phone = new PhonePage(page);
  // The first text goes out…
  await phone.open(demoInvitePath('.data-limits'));
  await phone.waitForHydration();
  await phone.enter(typed);
  await expect(page.getByTestId('sent')).toContainText(`•••• ••• ${last3}`);
  // …and the same number again, from the invite, within the minute, is limited.
  await phone.open(demoInvitePath('.data-limits'));
  await phone.waitForHydration();
  await phone.enter(typed);
  await expect(phone.fieldError).toHaveText(/^Too many attempts\. Try again in \d+ seconds\.$/);
  await expect(phone.number).toHaveValue(typed);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Get your digital pass');
});
