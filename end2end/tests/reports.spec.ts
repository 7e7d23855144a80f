import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { expect } from "@playwright/test";

import { followEmailLink, freshPage, PASSWORD, setUpEquipment, signCleaning, test, unique, waitForHydration } from "./support";

test("an owner downloads the logs as CSV, prepares a PDF report and lets an inspector look", async ({ page, browser }) => {
  const sticker = await setUpEquipment(page);
  await page.goto(sticker);
  await waitForHydration(page);
  await page.getByLabel("Switch off").check();
  await page.getByLabel("Wipe with disinfectant").check();
  await signCleaning(page);
  await expect(page.getByText("Recorded and signed.")).toBeVisible();

  await page.goto("/reports");
  await waitForHydration(page);
  const csv = page.locator("section", { hasText: "Cleaning logs and compliance (CSV)" });
  await csv.getByLabel("Facility").selectOption({ label: "Ward 3" });
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), csv.getByRole("button", { name: "Download logs (CSV)" }).click()]);
  const csvText = readFileSync((await csvDownload.path())!, "utf-8");
  expect(csvText.split("\n")[0]).toContain("log_id,facility,equipment");
  expect(csvText).toContain("Infusion pump 12");
  expect(csvText).toContain("Lia Logs");
  // The same filters give compliance per piece of equipment and in total; the definition is
  // stated beside the button.
  const [complianceDownload] = await Promise.all([
    page.waitForEvent("download"),
    csv.getByRole("button", { name: "Download compliance (CSV)" }).click(),
  ]);
  const complianceText = readFileSync((await complianceDownload.path())!, "utf-8");
  expect(complianceText.split("\n")[0]).toBe(
    "facility,equipment,equipment_code,time_zone,from,to,came_due,on_time,entered_late,late,awaiting_verification,not_done,on_time_percent",
  );
  expect(complianceText).toContain("All,Total,");
  await csv.getByText("How compliance is counted").click();
  await expect(csv.getByText("Each time a scheduled piece of equipment came due is one occasion.")).toBeVisible();

  // The PDF is prepared in the background; the list shows its progress, then the download.
  const reports = page.locator("section", { hasText: "Inspection report and binder" });
  await reports.getByLabel("Facility").selectOption({ label: "Ward 3" });
  await reports.getByLabel("Prepare").selectOption("report_pdf");
  await reports.getByRole("button", { name: "Prepare" }).click();
  await expect(reports.getByText("Preparing; it appears below when ready.")).toBeVisible();
  const link = reports.getByRole("link", { name: /^Download \(/ });
  await expect(link).toBeVisible({ timeout: 20_000 });
  const [pdfDownload] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const pdf = readFileSync((await pdfDownload.path())!);
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  // Beside the download, the file's SHA-256: the one of the file downloaded.
  await expect(reports.locator(".hash code").first()).toHaveText(createHash("sha256").update(pdf).digest("hex"));

  // An inspector for Ward 3, for a week: read-only, and the team page is not for them.
  const email = `inspector-${unique()}@authority.example`;
  const access = page.locator("section", { hasText: "Inspector access" });
  await access.getByLabel("Inspector's name").fill("Ines Inspector");
  await access.getByLabel("Inspector's email").fill(email);
  await access.getByLabel("Ward 3").check();
  await access.getByRole("button", { name: "Invite inspector" }).click();
  await expect(access.getByText("Invitation sent.")).toBeVisible();
  const inspector = await freshPage(browser);
  await followEmailLink(inspector, email, "Join Logs Clinic on CleanTrack");
  await waitForHydration(inspector);
  await expect(inspector.getByLabel("Your name")).toHaveValue("Ines Inspector");
  await inspector.getByLabel("Choose a password").fill(PASSWORD);
  await inspector.getByRole("button", { name: "Accept and join" }).click();
  await expect(inspector).toHaveURL(/\/app$/);
  const nav = inspector.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Reports" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Team" })).toHaveCount(0);
  await inspector.goto("/reports");
  await expect(inspector.locator("section", { hasText: "Cleaning logs and compliance (CSV)" }).getByLabel("Facility")).toContainText("Ward 3");
  await expect(inspector.getByText("Inspector access")).toHaveCount(0);

  await page.reload();
  await expect(page.getByTestId("inspectors")).toContainText(email);
});
