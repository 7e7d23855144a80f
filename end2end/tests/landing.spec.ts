import { expect } from "@playwright/test";

import { expectNoHorizontalScroll, test, waitForHydration } from "./support";

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

test("each page's code is its own download, and one that fails to arrive is said and can be fetched again", async ({ page }) => {
  // The sign-in page names its own chunk for the browser to preload, and not another page's.
  await page.goto("/login");
  const preloads = await page.locator('link[rel="preload"][as="fetch"]').evaluateAll((links) =>
    links.map((l) => (l as HTMLLinkElement).href),
  );
  expect(preloads.some((href) => href.includes("login_page"))).toBe(true);
  expect(preloads.some((href) => href.includes("forgot_password_page"))).toBe(false);
  await waitForHydration(page);

  // Moving to another page fetches that page's chunk; when it cannot arrive (a dropped
  // connection), the page says so.
  await page.route("**/pkg/split___forgot_password_page*", (route) => route.abort("internetdisconnected"));
  // The failed download is a panic in 0.8 (the fallible loader is on Leptos' 0.9 branch): this
  // test expects exactly that error, so it takes the page's error listener over from the fixture.
  const errors: string[] = [];
  page.removeAllListeners("pageerror");
  page.on("pageerror", (err) => errors.push(err.message));
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  const notice = page.getByRole("alert").filter({ hasText: "Something went wrong on this page" });
  await expect(notice).toBeVisible();
  expect(errors.length, "the failed download is reported as the page's error").toBeGreaterThan(0);
  // Once the connection is back, the same link gets the person there.
  await page.unroute("**/pkg/split___forgot_password_page*");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Forgot your password?");
});
