import { expect, type Page } from "@playwright/test";

import { cameraPhoto, expectNoHorizontalScroll, setUpEquipment as setUp, signCleaning, test, waitForHydration } from "./support";

test("on a phone, staff log a cleaning from the sticker page, and it shows in the history", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const sticker = await setUp(page);

  await page.goto(sticker);
  await waitForHydration(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Infusion pump 12");
  await expect(page.getByText("Not cleaned yet.")).toBeVisible();
  // A pass needs every step ticked.
  await page.getByLabel("Switch off").check();
  await signCleaning(page);
  await expect(page.getByRole("alert")).toContainText("Tick every step");
  await page.getByLabel("Wipe with disinfectant").check();
  await signCleaning(page);
  await expect(page.getByText("Recorded and signed.")).toBeVisible();
  await expect(page.locator(".audit-entry").first()).toContainText("performed by Lia Logs");
  await expect(page.locator(".audit-entry").first()).toContainText("Pump wipe v1");
  await expectNoHorizontalScroll(page);
});

test("the log form works with JavaScript disabled", async ({ page, browser }) => {
  const sticker = await setUp(page);
  const cookies = await page.context().cookies();
  const context = await browser.newContext({ javaScriptEnabled: false });
  await context.addCookies(cookies);
  const plain = await context.newPage();
  await plain.goto(sticker);
  // A refusal comes back on the form, with the message the hydrated page would show.
  await plain.getByLabel("Switch off").check();
  await signCleaning(plain);
  await expect(plain).toHaveURL(new RegExp(`${sticker}\\?__path=`));
  await expect(plain.getByRole("alert")).toContainText("Tick every step");
  await expect(plain.locator(".audit-entry")).toHaveCount(0);
  await plain.getByLabel("Switch off").first().check();
  await plain.getByLabel("Wipe with disinfectant").first().check();
  await signCleaning(plain);
  // A plain form post, then back to the page, which says so and lists the signed log.
  await expect(plain).toHaveURL(new RegExp(`${sticker}\\?done=`));
  await expect(plain.getByRole("status")).toHaveText("Recorded and signed.");
  await expect(plain.locator(".audit-entry")).toHaveCount(1);
  await expect(plain.locator(".audit-entry").first()).toContainText("PASS");
  await context.close();
});

/** On a phone, a new sticker's page with every step ticked. (Errors thrown in the page fail
 *  every test: see `test` in support.ts.) */
async function readyToSign(page: Page) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(await setUp(page));
  await waitForHydration(page);
  await page.getByLabel("Switch off").check();
  await page.getByLabel("Wipe with disinfectant").check();
}

test("on a phone, a double tap on Sign records one cleaning, and the form starts afresh", async ({ page }) => {
  await readyToSign(page);
  await signCleaning(page, "dblclick");
  await expect(page.getByText("Recorded and signed.")).toBeVisible();
  await expect(page.locator(".audit-entry")).toHaveCount(1);
  // Ready for the next cleaning: nothing ticked, so a stray third tap records nothing. (The
  // history's correction form has the same steps; the signing form comes first.)
  await expect(page.getByLabel("Switch off").first()).not.toBeChecked();
  await signCleaning(page);
  await expect(page.getByRole("alert")).toContainText("Tick every step");
  await page.reload();
  await expect(page.locator(".audit-entry")).toHaveCount(1);
});

test("signing while photos upload waits for them, then records one log with every photo", async ({ page }) => {
  await readyToSign(page);
  // A slow uplink: each upload takes two seconds to get through.
  await page.route("**/photos?equipment=*", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await route.continue();
  });
  const photo = await cameraPhoto(page);
  await page.getByLabel("Photos").setInputFiles([
    { name: "front.jpg", mimeType: "image/jpeg", buffer: photo },
    { name: "back.jpg", mimeType: "image/jpeg", buffer: photo },
  ]);
  // The button says what it waits for, and cannot be pressed meanwhile.
  const waiting = page.getByRole("button", { name: "Waiting for 2 photos…" });
  await expect(waiting).toBeDisabled();
  // Playwright's click waits until the button is enabled again: the moment a person could tap.
  await signCleaning(page);
  await expect(page.getByText("Recorded and signed.")).toBeVisible();
  await expect(page.locator(".audit-entry")).toHaveCount(1);
  await expect(page.locator(".audit-entry").first().locator(".log-photos img")).toHaveCount(2);
});

test("on a phone, the checklist stays under the thumb when the page becomes interactive", async ({ page, browser }) => {
  const sticker = await setUp(page);
  // A fresh phone (nothing cached) on a slow network: the page's script arrives seconds after the page.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await phone.addCookies(await page.context().cookies());
  const slow = await phone.newPage();
  await slow.route("**/q.js", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await route.continue();
  });
  // The script is deferred, so "domcontentloaded" would wait for it: take the first paint.
  await slow.goto(sticker, { waitUntil: "commit" });
  const checklist = slow.locator(".checklist").first();
  await checklist.waitFor();
  // A browser paints nothing before the stylesheet in the head has arrived, but a layout query
  // answers without it: measure what a person first sees, the styled page.
  await slow.waitForFunction(() =>
    [...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')].every((link) => link.sheet !== null),
  );
  const before = await checklist.boundingBox();
  await expect(slow.locator(".site-header.interactive")).toHaveCount(0);
  await waitForHydration(slow);
  const after = await checklist.boundingBox();
  expect(Math.abs(after!.y - before!.y), `moved from ${before!.y} to ${after!.y}`).toBeLessThanOrEqual(4);
  await phone.close();
});
