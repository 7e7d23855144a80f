import { expect } from "@playwright/test";

import { followEmailLink, freshPage, PASSWORD, register, signIn, test, unique, verifiedOwner, waitForHydration } from "./support";

test("register, sign in before and after confirming the email, sign out and back in", async ({ page }) => {
  const email = `owner-${unique()}@clinic.example`;
  await register(page, "Ana Silva", email, "St Mary Clinic");
  // Signed in but not confirmed: the overview asks for the confirmation first.
  await signIn(page, email, PASSWORD);
  await expect(page.getByText("Confirm your email address")).toBeVisible();
  await expect(page.getByText("You work in St Mary Clinic as Owner.")).toBeVisible();

  await followEmailLink(page, email, "Confirm your email address");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByRole("status")).toHaveText("Thank you: your email address is confirmed.");

  await page.goto("/app");
  await expect(page.getByText("Confirm your email address")).toHaveCount(0);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

  // A wrong password is refused without saying which part was wrong.
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("That email and password do not match an account.");

  await signIn(page, email, PASSWORD);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Welcome, Ana Silva");
});

test("registering with an address that has an account answers as for a new one and emails its owner", async ({ page }) => {
  const email = `taken-${unique()}@clinic.example`;
  await register(page, "Ana Silva", email, "St Mary Clinic");
  await register(page, "Someone Else", email, "Other Clinic");
  await page.goto(`/dev/mail?to=${encodeURIComponent(email)}`);
  await expect(page.locator("article.email").first()).toContainText("You already have a CleanTrack account");
});

test("an owner invites a teammate who accepts and sees the organization", async ({ page, browser }) => {
  const owner = `owner-${unique()}@lab.example`;
  const teammate = `tech-${unique()}@lab.example`;
  await verifiedOwner(page, "Olu Owner", owner, "North Lab");

  await page.goto("/team");
  await waitForHydration(page);
  await expect(page.locator(`[data-member="${owner}"]`)).toBeVisible();
  await page.getByLabel("Email").fill(teammate);
  await page.getByLabel("Role", { exact: true }).last().selectOption("staff");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByText("Invitation sent.")).toBeVisible();
  await expect(page.getByText(teammate)).toBeVisible();

  const invitee = await freshPage(browser);
  await followEmailLink(invitee, teammate, "Join North Lab on CleanTrack");
  await waitForHydration(invitee);
  await expect(invitee.getByText("You are invited to join North Lab as Staff")).toBeVisible();
  await invitee.getByLabel("Your name").fill("Tess Tech");
  await invitee.getByLabel("Choose a password").fill(PASSWORD);
  await invitee.getByRole("button", { name: "Accept and join" }).click();
  await expect(invitee).toHaveURL(/\/app$/);
  await expect(invitee.getByText("You work in North Lab as Staff.")).toBeVisible();

  await page.reload();
  await expect(page.locator(`[data-member="${teammate}"]`)).toBeVisible();
});

test("a forgotten password is reset through the emailed link", async ({ page, browser }) => {
  const email = `reset-${unique()}@plant.example`;
  await register(page, "Rui Reset", email, "Harbour Foods");

  const visitor = await freshPage(browser);
  await visitor.goto("/forgot-password");
  await waitForHydration(visitor);
  await visitor.getByLabel("Email").fill(email);
  await visitor.getByRole("button", { name: "Send reset link" }).click();
  await expect(visitor.getByRole("status")).toContainText("If an account uses this address");

  await followEmailLink(visitor, email, "Reset your password");
  await waitForHydration(visitor);
  const newPassword = "amber lantern orchard piano";
  await visitor.getByLabel("New password").fill(newPassword);
  await visitor.getByRole("button", { name: "Save password" }).click();
  await expect(visitor.getByRole("status")).toHaveText("Your password is changed. Sign in with it now.");

  await signIn(visitor, email, newPassword);
  await expect(visitor.getByRole("heading", { level: 1 })).toHaveText("Welcome, Rui Reset");
});
