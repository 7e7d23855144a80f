// Passkeys in a real browser: Chromium's virtual authenticator (DevTools Protocol
// `WebAuthn.addVirtualAuthenticator`) stands in for a phone's or a security key's, and the
// page runs the real WebAuthn calls (/passkeys.js). Browsers refuse IP addresses as relying
// parties, so these pages are opened at `localhost`, as the server's relying party expects in
// development.
import { expect, type BrowserContext, type Page } from "@playwright/test";

import { PASSWORD, test, unique, verifiedOwner, waitForHydration } from "./support";

const localBase = () => (process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000").replace("127.0.0.1", "localhost");

async function withAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return cdp;
}

async function signOut(page: Page) {
  await page.goto("/account");
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/login/);
}

test("a passkey is registered, named, and signs in alone; an account without one is refused", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: localBase() });
  const page = await context.newPage();
  await withAuthenticator(context, page);
  const email = `passkey-${unique()}@clinic.example`;
  await verifiedOwner(page, "Pia Passkey", email, "Passkey Clinic");

  await page.goto("/account/security");
  await waitForHydration(page);
  await page.getByLabel("Name for a new passkey").fill("Ward phone");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.locator("[data-passkey='Ward phone']")).toBeVisible();
  await expect(page.locator("[data-passkey='Ward phone']")).toContainText("never used");

  // Signed out, the email and the passkey alone sign in: no password typed.
  await signOut(page);
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  await expect(page).toHaveURL(/\/app$/);
  await page.goto("/account/security");
  await expect(page.locator("[data-passkey='Ward phone']")).toContainText("last used");
  await expect(page.locator(".sessions")).toContainText("Passkey");

  // Another person's account: this device's passkey is not theirs, and the page says so.
  const other = `other-${unique()}@clinic.example`;
  const second = await browser.newContext({ baseURL: localBase() });
  const otherPage = await second.newPage();
  await verifiedOwner(otherPage, "Olga Other", other, "Other Clinic");
  await signOut(page);
  await page.goto("/login");
  await page.getByLabel("Email").fill(other);
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  await expect(page.locator("[data-passkey-error]")).toContainText("No passkey is set up for this account");
  await expect(page).toHaveURL(/\/login/);
  await second.close();
  await context.close();
});

test("a passkey is asked for after the password when it is the second factor", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: localBase() });
  const page = await context.newPage();
  await withAuthenticator(context, page);
  const email = `second-${unique()}@clinic.example`;
  await verifiedOwner(page, "Sam Second", email, "Second Step Clinic");
  await page.goto("/account/security");
  await waitForHydration(page);
  await page.getByLabel("Name for a new passkey").fill("Laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.locator("[data-passkey='Laptop']")).toBeVisible();

  await signOut(page);
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/two-factor/);
  await page.getByRole("button", { name: "Use my passkey" }).click();
  await expect(page).toHaveURL(/\/app$/);
  await context.close();
});
