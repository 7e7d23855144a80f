// Helpers shared by the browser tests.
import { expect, type Browser, type Page } from "@playwright/test";

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

export async function waitForHydration(page: Page) {
  await expect(page.locator(".site-header.interactive")).toHaveCount(1);
}

export async function register(page: Page, name: string, email: string, org: string) {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Organization").fill(org);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/app$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${name}`);
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


/** Registers and confirms the email: an owner ready to work. */
export async function verifiedOwner(page: Page, name: string, email: string, org: string) {
  await register(page, name, email, org);
  await followEmailLink(page, email, "Confirm your email address");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByRole("status")).toHaveText("Thank you: your email address is confirmed.");
}
