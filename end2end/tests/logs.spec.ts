import { expect, test, type Page } from "@playwright/test";

import { unique, verifiedOwner, waitForHydration } from "./support";

/** An owner sets up a facility, a protocol and a piece of equipment through the screens, and
 *  returns the equipment's sticker address (from the label sheet's Open link). */
async function setUp(page: Page): Promise<string> {
  await verifiedOwner(page, "Lia Logs", `logs-${unique()}@clinic.example`, "Logs Clinic");

  await page.goto("/facilities");
  await waitForHydration(page);
  await page.getByLabel("Name").fill("Ward 3");
  await page.getByLabel("Time zone").fill("Europe/Lisbon");
  await page.getByRole("button", { name: "Add facility" }).click();
  await expect(page.getByText("Facility added.")).toBeVisible();

  await page.goto("/protocols");
  await waitForHydration(page);
  await page.getByLabel("Name").fill("Pump wipe");
  await page.getByLabel("Steps, one per line").fill("Switch off\nWipe with disinfectant");
  await page.getByLabel("Disinfectant").fill("Alcohol 70%");
  await page.getByRole("button", { name: "Create protocol" }).click();
  await expect(page.getByText("Protocol created.")).toBeVisible();

  await page.goto("/equipment");
  await waitForHydration(page);
  await page.getByLabel("Name").fill("Infusion pump 12");
  await page.getByLabel("Kind").fill("Infusion pump");
  await page.getByRole("button", { name: "Add equipment" }).click();
  await expect(page.getByText("Equipment added.")).toBeVisible();
  const row = page.locator('[data-equipment="Infusion pump 12"]');
  await row.getByRole("button", { name: "Set protocol" }).click();
  await expect(row).toContainText("Protocol: Pump wipe");

  await page.goto("/facilities");
  await page.getByRole("link", { name: "Print QR labels" }).click();
  await expect(page.getByRole("heading", { name: "QR labels: Ward 3" })).toBeVisible();
  await expect(page.locator(".label img")).toHaveCount(1);
  const href = await page.getByRole("link", { name: "Open" }).getAttribute("href");
  return new URL(href!).pathname;
}

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
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
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
