import { expect } from "@playwright/test";

import { expectNoHorizontalScroll, test, unique, verifiedOwner, waitForHydration } from "./support";

test("an owner reads the audit trail, verifies the chain and downloads the export", async ({ page }) => {
  const email = `audit-${unique()}@clinic.example`;
  await verifiedOwner(page, "Ada Audit", email, "Audit Clinic");

  await page.goto("/audit");
  await waitForHydration(page);
  const entries = page.locator(".audit-entry");
  await expect(entries.first()).toBeVisible();
  await expect(page.getByText("memberships.insert")).toBeVisible();
  // The creation of the owner's membership shows what was written.
  const membership = entries.filter({ hasText: "memberships.insert" });
  await expect(membership.locator("td", { hasText: "owner" })).toBeVisible();

  await page.getByRole("button", { name: "Verify the chain" }).click();
  await expect(page.getByRole("status")).toContainText("events verify");

  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download export (JSON Lines)" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^audit-.*\.jsonl$/);
});

test("the audit trail reads on a phone without horizontal scrolling", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 800 });
  await verifiedOwner(page, "Pia Phone", `phone-${unique()}@clinic.example`, "Phone Clinic");
  await page.goto("/audit");
  await waitForHydration(page);
  await expect(page.locator(".audit-entry").first()).toBeVisible();
  await expectNoHorizontalScroll(page);
});
