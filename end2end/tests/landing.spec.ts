import { expect } from "@playwright/test";

import { expectNoHorizontalScroll, test, unique, verifiedOwner, waitForHydration } from "./support";

const phone = { width: 390, height: 844 };

test("the landing page is rendered on the server and readable without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: phone });
  const page = await context.newPage();
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Prove every clean.");
  await expect(page).toHaveTitle("CleanTrack");
  // Without JavaScript the menu still opens: "Menu" links to the navigation, which CSS shows.
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await expect(nav).toBeVisible();
  await expect(nav.getByRole("link", { name: "Sign in" })).toBeVisible();
  await context.close();
});

test("the page hydrates and the phone menu opens and closes", async ({ page }) => {
  await page.setViewportSize(phone);
  await page.goto("/");
  await waitForHydration(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  const toggle = page.getByRole("button", { name: "Menu" });
  await expect(nav).toBeHidden();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await toggle.click();
  await expect(nav).toBeVisible();
  await expect(page.getByRole("button", { name: "Close" })).toHaveAttribute("aria-expanded", "true");
  await expect(nav.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.getByRole("button", { name: "Close" }).click();
  await expect(nav).toBeHidden();
});

test("loading and hydrating the page logs no console errors", async ({ page }) => {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto("/");
  await waitForHydration(page);
  await page.waitForLoadState("networkidle");
  expect(problems).toEqual([]);
});

for (const width of [320, 390]) {
  test(`a ${width}px wide phone needs no horizontal scrolling`, async ({ page }) => {
    await page.setViewportSize({ width, height: 800 });
    await page.goto("/");
    await waitForHydration(page);
    await expectNoHorizontalScroll(page);
  });
}

test("an unknown address gets the 404 page with a 404 status", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await page.getByRole("link", { name: "Go to the front page" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Prove every clean.");
});

test("a panic in the page is reported to the server and the person is told how to go on", async ({ page }) => {
  await page.goto("/login");
  await waitForHydration(page);
  const reported = page.waitForRequest((r) => r.url().endsWith("/client-errors") && r.method() === "POST");
  // A real panic of ours: asking the page to hydrate a second time (which would double every
  // handler) is refused with one.
  const thrown = await page.evaluate(async () => {
    const script = [...document.querySelectorAll<HTMLLinkElement>('link[rel="modulepreload"]')].find((l) =>
      l.href.endsWith(".js"),
    );
    const wasm = await import(script!.href);
    try {
      wasm.hydrate();
      return "";
    } catch (err) {
      return String(err);
    }
  });
  expect(thrown, "the second hydration stops with a panic").not.toBe("");
  const request = await reported;
  expect(JSON.parse(request.postData() ?? "{}")).toMatchObject({
    message: expect.stringContaining("hydrate a second time"),
    url: expect.stringContaining("/login"),
  });
  expect((await request.response())?.status()).toBe(204);
  const notice = page.getByRole("alert").filter({ hasText: "Something went wrong on this page" });
  await expect(notice).toBeVisible();
  await expect(notice.getByRole("link", { name: "Reload the page" })).toHaveAttribute("href", /\/login$/);
});

test("pages are whole without the WASM: when it cannot arrive, forms, filters and the menu still work", async ({ page }) => {
  await verifiedOwner(page, "Nia Nowasm", `nowasm-${unique()}@clinic.example`, "No WASM Clinic");
  // A connection that drops every WASM download: the islands never come to life. The failed
  // import is the page's error here, which this test expects, so it takes the page's error
  // listener over from the fixture.
  await page.route("**/*.wasm", (route) => route.abort("internetdisconnected"));
  page.removeAllListeners("pageerror");
  page.on("pageerror", () => {});

  await page.goto("/facilities");
  await page.getByLabel("Name").fill("Ward 9");
  await page.getByLabel("Address").fill("Level 2");
  await page.getByLabel("Time zone").fill("Europe/Dublin");
  await page.getByRole("button", { name: "Add facility" }).click();
  await expect(page.getByRole("status")).toHaveText("Facility added.");
  await expect(page.locator('[data-facility="Ward 9"]')).toContainText("Europe/Dublin");
  await expect(page.locator(".site-header.interactive")).toHaveCount(0);

  await page.goto("/equipment");
  await page.getByLabel("Search").fill("nothing here");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByText("0 pieces of equipment")).toBeVisible();

  // On a phone, "Menu" is a link that CSS answers.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByRole("link", { name: "Facilities" })).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await expect(page.getByRole("link", { name: "Facilities" })).toBeVisible();
});
