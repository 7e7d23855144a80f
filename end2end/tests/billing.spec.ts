import { expect } from "@playwright/test";

import { expectNoHorizontalScroll, test, unique, verifiedOwner, waitForHydration } from "./support";

// The app runs against the Stripe stand-in (scripts/test.sh): its checkout page plays Stripe's,
// and paying there sends the app signed webhook events, as Stripe would.
test("an owner upgrades through checkout, the signed webhook arrives, and the billing page shows Pro", async ({ page }) => {
  await verifiedOwner(page, "Bea Billing", `billing-${unique()}@clinic.example`, "Billing Clinic");

  await page.goto("/billing");
  await waitForHydration(page);
  await expect(page.locator("[data-test=plan]")).toHaveText("Plan: Free");
  await expect(page.getByText("0 of 1 active facilities")).toBeVisible();
  await page.getByRole("button", { name: "Upgrade to Pro" }).click();

  // Stripe's page (the stand-in's), then back to ours.
  await expect(page.getByRole("heading", { name: "Stand-in checkout" })).toBeVisible();
  await expect(page.getByText("14-day trial")).toBeVisible();
  await page.getByRole("button", { name: "Start subscription" }).click();
  await expect(page).toHaveURL(/\/billing\?checkout=done$/);

  // The plan changes when the webhook's job has run (workers poll every second).
  await expect(async () => {
    await page.reload();
    await expect(page.locator("[data-test=plan]")).toHaveText("Plan: Pro", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.locator("[data-test=status]")).toHaveText("trialing");
  await expect(page.getByText("Trial ends")).toBeVisible();
  await expect(page.getByRole("button", { name: "Manage subscription" })).toBeVisible();

  await page.setViewportSize({ width: 360, height: 740 });
  await expectNoHorizontalScroll(page);
});
