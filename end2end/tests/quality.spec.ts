// Measured cleanings and Level II monitoring, on a phone: a reading out of range fails the
// cleaning and opens a corrective action, the wet-contact timer counts down and early signing is
// refused; an evaluator runs a monitoring round, records each surface and signs it.
import { expect, type Page } from "@playwright/test";

import { expectNoHorizontalScroll, PASSWORD, setUpEquipment, signCleaning, test, waitForHydration } from "./support";

/** Gives the equipment of `setUpEquipment` a protocol that measures, with a timed contact. */
async function measuringProtocol(page: Page) {
  await page.goto("/protocols");
  await waitForHydration(page);
  const form = page.locator("form").filter({ has: page.getByRole("button", { name: "Create protocol" }) });
  await form.getByLabel("Name").fill("Pump ATP");
  await form.getByLabel("Steps, one per line").fill("Wipe the housing\nATP swab [RLU ≤ 250]");
  await form.getByLabel("Disinfectant").fill("Alcohol 70%");
  await form.getByLabel("Contact time (minutes)").fill("1");
  await form.getByLabel(/Time the contact on the phone/).check();
  await form.getByRole("button", { name: "Create protocol" }).click();
  await expect(page.getByText("Protocol created.")).toBeVisible();
  await page.goto("/equipment");
  await waitForHydration(page);
  const row = page.locator('[data-equipment="Infusion pump 12"]');
  await row.getByLabel("Protocol").selectOption({ label: "Pump ATP" });
  await row.getByRole("button", { name: "Set protocol" }).click();
  await expect(row).toContainText("Protocol: Pump ATP");
}

test("on a phone, a high ATP reading fails the cleaning and opens a corrective action; the contact timer guards signing", async ({ page }) => {
  const sticker = await setUpEquipment(page);
  await measuringProtocol(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(sticker);
  await waitForHydration(page);
  await expect(page.getByText("(accepted ≤ 250 RLU)")).toBeVisible();
  await page.getByLabel("Wipe the housing").check();
  await page.getByLabel(/ATP swab/).fill("120");

  // The timer: started when the disinfectant goes on, counting down the minute.
  await page.getByRole("button", { name: /start the 1-minute timer/ }).click();
  await expect(page.locator(".contact-timer__left")).toContainText("of wet contact left");
  await expectNoHorizontalScroll(page);
  await signCleaning(page);
  await expect(page.getByRole("alert")).toContainText("needs 1 minute of wet contact");
  // Applied two minutes ago (as typed by someone who did not use the timer): accepted.
  const earlier = await page.evaluate(() =>
    new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Lisbon", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
      .format(new Date(Date.now() - 120_000)),
  );
  await page.getByLabel(/Applied at/).fill(earlier);
  await expect(page.locator(".contact-timer__left")).toContainText("Contact time reached");
  await page.getByLabel(/ATP swab/).fill("480");
  await signCleaning(page);
  await expect(page.getByText(/Recorded and signed/)).toBeVisible();
  const entry = page.locator(".audit-entry").first();
  await expect(entry).toContainText("FAIL");
  await expect(entry).toContainText("ATP swab: 480 RLU (accepted ≤ 250 RLU)");
  await expect(entry).toContainText(/Wet contact 2:\d\d min before signing/);
  await expect(entry.getByText("Corrective action open")).toBeVisible();

  await page.goto("/corrective-actions");
  await waitForHydration(page);
  await expect(page.getByTestId("action-summary")).toHaveText("1 open, none overdue.");
  await expect(page.locator("[data-action]").first()).toContainText("ATP swab: 480 RLU, accepted ≤ 250 RLU");
  await expectNoHorizontalScroll(page);
});

test("on a phone, an evaluator runs a Level II round: the server draws the sample, each surface is recorded, the round is signed", async ({ page }) => {
  await setUpEquipment(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/monitoring");
  await waitForHydration(page);
  await page.getByLabel("Sample of surfaces (%)").fill("50");
  await page.getByRole("button", { name: "Draw the sample and start" }).click();
  await expect(page.getByText("Round started")).toBeVisible();
  await page.locator("[data-round] a").first().click();
  await expect(page.getByTestId("round-rate")).toHaveText("0 of 1 recorded · 0 passed · rate –");
  const surface = page.locator("[data-surface]").first();
  await expect(surface).toContainText("Infusion pump 12");
  await expect(page.getByRole("button", { name: "Record every surface to sign" })).toBeDisabled();
  await surface.getByLabel("Yes, removed").check();
  await surface.getByLabel(/ATP \(RLU/).fill("120");
  await surface.getByRole("button", { name: "Record" }).click();
  await expect(page.getByTestId("round-rate")).toHaveText("1 of 1 recorded · 1 passed · rate 100%");
  await expectNoHorizontalScroll(page);
  await page.locator("#round-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign: I evaluated these surfaces" }).click();
  await expect(page.getByText(/Signed “evaluated” by Lia Logs/)).toBeVisible();
  await expect(page.locator("[data-surface] form")).toHaveCount(0);

  await page.goto("/monitoring");
  await expect(page.locator("tr[data-unit='Ward 3']")).toContainText("100%");
  await expect(page.locator("figure.chart svg rect")).toHaveCount(1);
});
