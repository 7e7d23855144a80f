// Helpers shared by the browser tests.
import { expect, test as base, type Browser, type Page } from "@playwright/test";

/** Playwright's `test`, failing any test whose page threw an error (a panic in the WASM, an
 *  uncaught exception): a page that stops reacting must never pass as a journey that worked. */
export const test = base.extend<{ noPageErrors: void }>({
  noPageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await use();
      expect(errors, "errors thrown in the page").toEqual([]);
    },
    { auto: true },
  ],
});

// One account journey per test; addresses are unique so tests never collide.
export const unique = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
export const PASSWORD = "violet kettle harbour drum";

/** Opens the newest link emailed to `to`, as recorded on the development mail page. */
export async function followEmailLink(page: Page, to: string, subject: string) {
  await page.goto(`/dev/mail?to=${encodeURIComponent(to)}`);
  const email = page.locator("article.email").filter({ hasText: subject }).first();
  await expect(email).toBeVisible();
  const href = await email.locator("a").first().getAttribute("href");
  expect(href).toBeTruthy();
  await page.goto(new URL(href!).pathname + new URL(href!).search);
}

/** The header turns interactive once the WASM has loaded and hydrated. The test build's WASM
 *  is a debug build of some 20 MB; the first tests to load it compile it while the server is
 *  still cold, which can take longer than the usual 10 s. */
export async function waitForHydration(page: Page) {
  await expect(page.locator(".site-header.interactive")).toHaveCount(1, { timeout: 30_000 });
}

/** Registers: the page asks to check the inbox, and nobody is signed in yet. */
export async function register(page: Page, name: string, email: string, org: string) {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Organization").fill(org);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Check your email");
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/app$/);
}

export async function freshPage(browser: Browser) {
  const context = await browser.newContext();
  return context.newPage();
}


/** Registers, confirms the email and signs in: an owner ready to work. */
export async function verifiedOwner(page: Page, name: string, email: string, org: string) {
  await register(page, name, email, org);
  await followEmailLink(page, email, "Confirm your email address");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByRole("status")).toHaveText("Thank you: your email address is confirmed.");
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${name}`);
}

/** An owner sets up a facility, a protocol and a piece of equipment through the screens, and
 *  returns the equipment's sticker address (from the label sheet's Open link). */
export async function setUpEquipment(page: Page, email = `logs-${unique()}@clinic.example`): Promise<string> {
  await verifiedOwner(page, "Lia Logs", email, "Logs Clinic");

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
  await row.getByLabel("Protocol").selectOption({ label: "Pump wipe" });
  await row.getByRole("button", { name: "Set protocol" }).click();
  await expect(row).toContainText("Protocol: Pump wipe");
  await row.getByText("Set schedule").click();
  await row.getByLabel("Every").fill("1");
  await row.getByLabel("Unit").selectOption("days");
  await row.getByRole("button", { name: "Save schedule" }).click();
  await expect(row).toContainText("Daily");
  await expect(row).toContainText("Never cleaned");

  await page.goto("/facilities");
  await page.getByRole("link", { name: "Print QR labels" }).click();
  await expect(page.getByRole("heading", { name: "QR labels: Ward 3" })).toBeVisible();
  await expect(page.locator(".label img")).toHaveCount(1);
  const href = await page.getByRole("link", { name: "Open" }).getAttribute("href");
  return new URL(href!).pathname;
}

/** The page fits the viewport's width: nothing scrolls sideways on a phone. */
/** Signs the cleaning on a sticker's page: the password first (strict signatures are on for every
 *  new organization, and the first signature of a session needs the password), then Sign. */
export async function signCleaning(page: Page, click: "click" | "dblclick" = "click") {
  await page.locator("#log-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign: I performed this cleaning" })[click]();
}

export async function expectNoHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/** A JPEG drawn by the browser itself, as a phone camera would hand it over. */
export async function cameraPhoto(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    const ctx = canvas.getContext("2d")!;
    const gradient = ctx.createLinearGradient(0, 0, 640, 480);
    gradient.addColorStop(0, "#0b6e4f");
    gradient.addColorStop(1, "#f4f7f6");
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, 640, 480);
    return canvas.toDataURL("image/jpeg", 0.9);
  });
  return Buffer.from(dataUrl.split(",")[1], "base64");
}
