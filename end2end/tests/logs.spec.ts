import { expect, test } from "@playwright/test";

import { expectNoHorizontalScroll, setUpEquipment as setUp, waitForHydration } from "./support";

test("on a phone, staff log a cleaning from the sticker page, and it shows in the history", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const sticker = await setUp(page);

  await page.goto(sticker);
  await waitForHydration(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Infusion pump 12");
  await expect(page.getByText("Not cleaned yet.")).toBeVisible();
  // A pass needs every step ticked.
  await page.getByLabel("Switch off").check();
  await page.getByRole("button", { name: "Sign: I performed this cleaning" }).click();
  await expect(page.getByRole("alert")).toContainText("Tick every step");
  await page.getByLabel("Wipe with disinfectant").check();
  await page.getByRole("button", { name: "Sign: I performed this cleaning" }).click();
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
  await plain.getByLabel("Switch off").check();
  await plain.getByLabel("Wipe with disinfectant").check();
  await plain.getByRole("button", { name: "Sign: I performed this cleaning" }).click();
  // A plain form post, then back to the page, which now lists the signed log.
  await expect(plain).toHaveURL(new RegExp(`${sticker}\\??$`));
  await expect(plain.locator(".audit-entry")).toHaveCount(1);
  await expect(plain.locator(".audit-entry").first()).toContainText("PASS");
  await context.close();
});
