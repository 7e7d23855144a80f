import { expect, test } from "@playwright/test";

import { expectNoHorizontalScroll, unique, verifiedOwner, waitForHydration } from "./support";

test("on a phone, an owner adds a facility and equipment and finds it by search", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await verifiedOwner(page, "Fia Facilities", `fac-${unique()}@plant.example`, "Harbour Foods");

  await page.goto("/facilities");
  await waitForHydration(page);
  await page.getByLabel("Name").fill("Line 1 Plant");
  await page.getByLabel("Address").fill("Quay 4");
  await page.getByLabel("Time zone").fill("Europe/Lisbon");
  await page.getByRole("button", { name: "Add facility" }).click();
  await expect(page.getByText("Facility added.")).toBeVisible();
  await expect(page.locator('[data-facility="Line 1 Plant"]')).toContainText("Europe/Lisbon");

  await page.goto("/equipment");
  await waitForHydration(page);
  await page.getByLabel("Name").fill("Mixer 7");
  await page.getByLabel("Kind").fill("Mixer");
  await page.getByLabel("Location").fill("Bay 3");
  await page.getByLabel("Risk level").selectOption("high");
  await page.getByRole("button", { name: "Add equipment" }).click();
  await expect(page.getByText("Equipment added.")).toBeVisible();
  const row = page.locator('[data-equipment="Mixer 7"]');
  await expect(row).toContainText("Mixer · Line 1 Plant · Bay 3");

  await page.getByPlaceholder("Name, kind, serial, code").fill("no such thing");
  await page.getByPlaceholder("Name, kind, serial, code").press("Enter");
  await expect(page.getByText("0 pieces of equipment")).toBeVisible();

  await expectNoHorizontalScroll(page);
});
