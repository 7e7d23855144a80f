import { expect, type Page } from "@playwright/test";

import { cameraPhoto, expectNoHorizontalScroll, followEmailLink, freshPage, PASSWORD, setUpEquipment, signCleaning, test, unique, waitForHydration } from "./support";

/** The owner on `page` invites a supervisor, who accepts in a new phone-sized browser. */
async function inviteSupervisor(page: Page, browser: import("@playwright/test").Browser): Promise<Page> {
  const email = `sup-${unique()}@clinic.example`;
  await page.goto("/team");
  await waitForHydration(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Role", { exact: true }).last().selectOption("supervisor");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByText("Invitation sent.")).toBeVisible();
  const supervisor = await freshPage(browser);
  await supervisor.setViewportSize({ width: 390, height: 844 });
  await followEmailLink(supervisor, email, "Join Logs Clinic on CleanTrack");
  await waitForHydration(supervisor);
  await supervisor.getByLabel("Your name").fill("Sam Supervisor");
  await supervisor.getByLabel("Choose a password").fill(PASSWORD);
  await supervisor.getByRole("button", { name: "Accept and join" }).click();
  await expect(supervisor).toHaveURL(/\/app$/);
  return supervisor;
}

test("on a phone, a cleaning is logged with a photo and a supervisor verifies it", async ({ page, browser }) => {
  // The longest journey: two accounts, an invitation, three signatures (each checks a password).
  test.slow();
  await page.setViewportSize({ width: 390, height: 844 });
  const sticker = await setUpEquipment(page);

  await page.goto(sticker);
  await waitForHydration(page);
  await expect(page.getByText("Never cleaned")).toBeVisible();
  await page.getByLabel("Switch off").check();
  await page.getByLabel("Wipe with disinfectant").check();
  await page.getByLabel("Photos").setInputFiles({ name: "pump.jpg", mimeType: "image/jpeg", buffer: await cameraPhoto(page) });
  // The upload shows its thumbnail once it has arrived (after a progress bar while sending).
  const uploaded = page.locator(".photo-uploads img");
  await expect(uploaded).toHaveCount(1);
  await expect.poll(() => uploaded.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  // A file that is not a photo is refused by name, and nothing else is lost.
  await page.getByLabel("Photos").setInputFiles({ name: "notes.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.7 x") });
  await expect(page.locator(".photo-uploads [role=alert]")).toContainText("notes.pdf: That file is not a JPEG, PNG or WebP image.");
  await signCleaning(page);
  await expect(page.getByText("Recorded and signed.")).toBeVisible();
  const entry = page.locator(".audit-entry").first();
  await expect(entry).toContainText("performed by Lia Logs");
  await expect(entry.locator(".log-photos img")).toHaveCount(1);
  await expect.poll(() => entry.locator(".log-photos img").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  // The owner's overview counts it: one cleaning came due in the period, done on time.
  await page.goto("/app");
  await expect(page.locator('[data-stat="compliance"]')).toContainText("100%");
  await expect(page.locator(".chart svg")).toBeVisible();

  // Nobody verifies their own log; the supervisor does.
  await page.goto(sticker);
  await waitForHydration(page);
  // Nobody is offered to verify their own log (the server refuses it too: tests/api/logs.rs).
  await expect(page.locator(".audit-entry").first()).toContainText("Not verified yet.");
  await expect(page.getByRole("button", { name: "Verify (second signature)" })).toHaveCount(0);
  const supervisor = await inviteSupervisor(page, browser);
  await supervisor.goto(sticker);
  await waitForHydration(supervisor);
  await supervisor.locator(".audit-entry").first().getByPlaceholder("Password or PIN").first().fill(PASSWORD);
  await supervisor.getByRole("button", { name: "Verify (second signature)" }).click();
  await expect(supervisor.locator(".audit-entry").first()).toContainText("Signed “verified” by Sam Supervisor");

  // A mistake is corrected by a new signed record; the original stays, marked.
  const original = supervisor.locator(".audit-entry").first();
  await original.getByText("Correct this record").click();
  await original.getByLabel("Reason for the correction").fill("Logged on the wrong sticker");
  await original.getByLabel("Notes").fill("This was pump 13");
  await original.locator("details form").getByPlaceholder("Password or PIN").fill(PASSWORD);
  await original.getByRole("button", { name: "Sign the correction" }).click();
  await expect(supervisor.getByText("Correction recorded and signed; the original stays.")).toBeVisible();
  await expect(supervisor.locator(".audit-entry")).toHaveCount(2);
  await expect(supervisor.locator(".audit-entry").first()).toContainText("Corrects an earlier log: Logged on the wrong sticker");
  await expect(supervisor.locator(".audit-entry").nth(1)).toContainText("Corrected by a later log.");
  await expectNoHorizontalScroll(supervisor);
});

test("the label sheet prints three labels across on A4 and on Letter", async ({ page }) => {
  await setUpEquipment(page);
  await page.goto("/facilities");
  await page.getByRole("link", { name: "Print QR labels" }).click();
  await waitForHydration(page);
  // The button opens the browser's print dialog.
  await page.evaluate(() => {
    (window as unknown as { printed: number }).printed = 0;
    window.print = () => { (window as unknown as { printed: number }).printed += 1; };
  });
  await page.getByRole("button", { name: "Print labels" }).click();
  expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
  await expect.poll(() => page.locator(".label img").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  await page.emulateMedia({ media: "print" });
  await expect(page.locator(".site-header")).toBeHidden();
  await expect(page.getByRole("button", { name: "Print labels" })).toBeHidden();
  await expect(page.locator(".label")).toContainText("Infusion pump 12");
  // 60 mm at 96 px per inch, three columns.
  const width = await page.locator(".label").evaluate((el) => el.getBoundingClientRect().width);
  expect(Math.abs(width - (60 / 25.4) * 96)).toBeLessThan(2);
  const columns = await page.locator(".labels").evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(" ").length);
  expect(columns).toBe(3);
  for (const format of ["A4", "Letter"]) {
    const pdf = await page.pdf({ format });
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages, format).toBe(1);
  }
});
