import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { demoInvitePath } from './fixtures/phone-page';
import { linkSentTo, outboxMark } from './fixtures/outbox';

// The member's language: a German phone walks the journey in German, with JavaScript on and off,
// and the switch on the page changes it without JavaScript. Each screen is looked at on a
// 320 px wide phone (long German words wrap, nothing runs off the side).

const HINT_LETTERS = 'Eine Telefonnummer hat nur Ziffern. Entfernen Sie alle Buchstaben.';
const NUMBER_INVALID = 'Diese Nummer ist für das gewählte Land nicht gültig. Prüfen Sie das Land und die Ziffern.';

/** No accessibility violation of serious or critical impact (a page's language among them). */
async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  expect(serious, `serious or critical axe violations on ${what}:\n${serious.join('\n')}`).toEqual([]);
}

async function fitsNarrowScreen(page: Page, name: string) {
  await page.setViewportSize({ width: 320, height: 760 });
  await page.screenshot({ path: `test-results/${name}-320.png`, fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${name} fits 320 px`).toBeLessThanOrEqual(320);
}

for (const js of [true, false]) {
  test.describe(`the journey in German, JavaScript ${js ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled: js, locale: 'de-DE' });

    test('phone page, check your messages and the wallet page speak German', async ({ page }, info) => {
      const tag = `${js ? 'js' : 'nojs'}-${info.project.name}`;
      await page.goto(demoInvitePath());
      await expect(page.locator('html')).toHaveAttribute('lang', 'de');
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ihr digitaler Pass');
      if (js) await expect(page.locator('form.phone-form')).toHaveAttribute('data-hydrated', 'true');
      await fitsNarrowScreen(page, `de-phone-${tag}`);
      if (js) await expectAccessible(page, 'the German phone page');

      // The browser's own check speaks German (JavaScript on: the island's words came with the
      // page), and so does the server's.
      if (js) {
        await page.getByLabel('Handynummer').fill('0740 abc');
        await page.getByRole('button', { name: 'Link per SMS senden' }).click();
        await expect(page.locator('#number-error')).toHaveText(HINT_LETTERS);
      }
      await page.getByLabel('Handynummer').fill('07400 12');
      await page.getByRole('button', { name: 'Link per SMS senden' }).click();
      await expect(page.locator('#number-error')).toHaveText(NUMBER_INVALID);
      await expect(page.locator('html')).toHaveAttribute('lang', 'de');
      await fitsNarrowScreen(page, `de-phone-error-${tag}`);

      const mark = await outboxMark(page);
      await page.getByLabel('Handynummer').fill('07400 123001');
      await page.getByRole('button', { name: 'Link per SMS senden' }).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Prüfen Sie Ihre SMS');
      await fitsNarrowScreen(page, `de-sent-${tag}`);

      const link = await linkSentTo(page, '+447400123001', mark);
      await page.goto(link);
      await expect(page.locator('html')).toHaveAttribute('lang', 'de');
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ihr Pass ist bereit, Ada');
      await fitsNarrowScreen(page, `de-wallet-${tag}`);
      if (js) await expectAccessible(page, 'the German wallet page');
    });
  });
}

test.describe('the language switch', () => {
  test.use({ javaScriptEnabled: false, locale: 'de-DE' });

  test('works without JavaScript and keeps its choice through the form', async ({ page }) => {
    await page.goto(demoInvitePath());
    const nav = page.getByRole('navigation', { name: 'Sprache' });
    await nav.getByRole('link', { name: 'Nederlands' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Vraag uw digitale pas aan');
    await expect(page.getByRole('navigation', { name: 'Taal' }).getByRole('link', { name: 'Nederlands' })).toHaveAttribute(
      'aria-current',
      'true',
    );
    await page.getByLabel('Mobiel nummer').fill('07400 123001');
    await page.getByRole('button', { name: 'Stuur mij de link per sms' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Bekijk uw berichten');
  });
});
