import { expect } from "@playwright/test";

import { expectNoHorizontalScroll, setUpEquipment, signCleaning, test, unique, verifiedOwner, waitForHydration } from "./support";

test("on a phone, an owner adds a facility and equipment and finds it by search", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await verifiedOwner(page, "Fia Facilities", `fac-${unique()}@plant.example`, "Harbour Foods");
  // A new organization's overview says what to do first.
  const steps = page.locator(".first-steps");
  await expect(steps.getByRole("heading", { name: "First steps" })).toBeVisible();
  await expect(steps.getByRole("listitem")).toHaveCount(5);
  await expect(steps.getByRole("link", { name: /^Add a facility/ })).toHaveAttribute("href", "/facilities");

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

test("the code printed on a sticker finds the equipment from any page's header, and lists lead to its page", async ({ page }) => {
  const sticker = await setUpEquipment(page);
  await page.goto("/equipment");
  const code = (await page.locator('[data-equipment="Infusion pump 12"] .badge').first().textContent())!.trim();

  // A damaged sticker: the printed code, typed into the header of any page.
  await page.goto("/protocols");
  const search = page.getByRole("searchbox", { name: "Find equipment" });
  await search.fill(code.toLowerCase());
  await search.press("Enter");
  await expect(page).toHaveURL(/\/equipment\?search=/);
  await expect(page.getByText("1 piece of equipment")).toBeVisible();
  await page.getByRole("link", { name: "Infusion pump 12" }).click();
  await expect(page).toHaveURL(new RegExp(`${sticker}$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Infusion pump 12");

  // The overview's activity leads there too.
  await waitForHydration(page);
  await page.getByLabel("Switch off").first().check();
  await page.getByLabel("Wipe with disinfectant").first().check();
  await signCleaning(page);
  await expect(page.getByText("Recorded and signed.")).toBeVisible();
  await page.goto("/app");
  await page.locator(".audit-list").getByRole("link", { name: "Infusion pump 12" }).click();
  await expect(page).toHaveURL(new RegExp(`${sticker}$`));
});

test("lists filter and page from their address, with JavaScript and without", async ({ page, browser }) => {
  await setUpEquipment(page);
  // With the page interactive, a filter is a client-side navigation to the filtered address.
  await page.goto("/equipment");
  await waitForHydration(page);
  await page.getByLabel("Search").fill("nothing like this");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/\/equipment\?.*search=nothing/);
  await expect(page.getByText("0 pieces of equipment")).toBeVisible();
  await page.goBack();
  await expect(page.getByText("1 piece of equipment")).toBeVisible();

  // Without JavaScript the same forms and links work as plain HTML.
  const context = await browser.newContext({ javaScriptEnabled: false });
  await context.addCookies(await page.context().cookies());
  const plain = await context.newPage();
  await plain.goto("/equipment");
  await plain.getByLabel("Search").fill("pump 12");
  await plain.getByRole("button", { name: "Show" }).click();
  await expect(plain).toHaveURL(/\/equipment\?.*search=pump\+12/);
  await expect(plain.getByText("1 piece of equipment")).toBeVisible();
  await expect(plain.getByLabel("Search")).toHaveValue("pump 12");

  await plain.goto("/audit");
  await plain.getByRole("button", { name: "Verify the chain" }).click();
  await expect(plain).toHaveURL(/\/audit\?check=1/);
  await expect(plain.getByRole("status")).toContainText(/All \d+ events verify/);
  await plain.getByLabel("Record type").selectOption("memberships");
  await plain.getByRole("button", { name: "Filter" }).click();
  await expect(plain).toHaveURL(/\/audit\?.*entity=memberships/);
  await expect(plain.locator(".audit-entry").first()).toContainText("memberships.");

  await plain.goto("/app");
  await plain.getByLabel("Period").selectOption("7");
  await plain.getByRole("button", { name: "Show" }).click();
  await expect(plain.getByText("on time over the last 7 days")).toBeVisible();
  await context.close();
});
