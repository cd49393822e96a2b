// My records (issue #45) on global setup's deployment, as a patient uses it and as the accounts
// they share with read it: the patient unlocks the screen with one wallet signature, adds a lab
// report (encrypted in the page; the server stores only the file the minted record names), opens
// it again, and `bithive vault get` with the same account reads the same bytes (the page and the
// CLI derive the same keys). Shared with a researcher's account for research, the researcher
// reads it with `bithive vault get --purpose research`, the page's access log shows that read,
// and after the patient revokes the share the researcher's next read is refused. Refused with
// nothing signed: a rejected unlock, a file over the page's limit, a share to an account that
// published no reading key (ADR 017: the page seals only to the key the account set in the vault
// itself) or an address of another chain. axe and no sideways scroll at 390 px. When the server
// does not take the file after the mint, the page keeps the exact file and sends it again on
// request. The reader publishes its reading key in its own page; a share sealed to it is read
// there (logged first); one sealed to its BitChat key (by the CLI) is refused there before
// anything is signed, and left to the CLI.
import { test, expect } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { injectWallet } from "./wallet";
import { axe, connect, open, overflowing, shot } from "./helpers";

const REPORT = '{"resourceType":"Observation","code":"4548-4","valueQuantity":{"value":54,"unit":"mmol/mol"}}';

/** `bithive ARGS`; its status and output. */
function bithive(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.env.BITHIVE_BIN!, args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `bithive vault get` of record `id` as keyring key `key`; the bytes it wrote, or its refusal. */
function vaultGet(keyring: string, key: string, id: string, purpose?: string): { ok: boolean; text: string } {
  const out = path.join(mkdtempSync(path.join(tmpdir(), "bithive-get-")), "record");
  const r = bithive(["vault", "get", id, "--out", out, "--key", key, "--keyring", keyring,
    "--deployment", process.env.BITHIVE_DEPLOYMENT!, "--rpc", process.env.BITHIVE_RPC!,
    "--store-dir", process.env.BITHIVE_STORE_DIR!, "--store-key-file", process.env.BITHIVE_STORE_KEY_FILE!,
    ...(purpose ? ["--purpose", purpose] : [])]);
  return r.status === 0 ? { ok: true, text: readFileSync(out, "utf8") } : { ok: false, text: r.out };
}

test("my records: added encrypted in the page, read by the CLI with the same account, shared, logged and revoked", async ({ page }) => {
  // The researcher: a funded account in a keyring of its own, with its BitChat key.
  const dir = mkdtempSync(path.join(tmpdir(), "bithive-records-"));
  const keyring = path.join(dir, "keyring.json");
  const researcher = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
  const [r] = await researcher.getAccounts();
  const addKey = (name: string, mnemonic: string) => {
    writeFileSync(path.join(dir, name), mnemonic, { mode: 0o600 });
    const res = bithive(["keys", "add", name, "--mnemonic-file", path.join(dir, name), "--keyring", keyring]);
    expect(res.status, res.out).toBe(0);
  };
  addKey("researcher", researcher.mnemonic);
  addKey("patient", process.env.BITHIVE_USER_MNEMONIC!);
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" });
  const [d] = await deployer.getAccounts();
  const bank = await SigningStargateClient.connectWithSigner(process.env.BITHIVE_RPC!, deployer, { gasPrice: GasPrice.fromString("0.025ubhive") });
  await bank.sendTokens(d.address, r.address, [{ denom: "ubhive", amount: "10000000" }], "auto");

  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "records");
  await expect(page.getByTestId("need-wallet")).toContainText("health records");
  await connect(page, w);

  // Unlock: rejected first (nothing changes), then signed; the wallet showed the key text.
  const text = await page.getByTestId("records-key-text").textContent();
  expect(text).toContain("opens every record you stored in this vault");
  w.mode = "reject";
  await page.getByTestId("records-unlock").click();
  await expect(page.getByTestId("records-unlock-status")).toContainText("you rejected the request");
  w.mode = "approve";
  await page.getByTestId("records-unlock").click();
  await expect(page.getByTestId("record-add")).toBeVisible();
  expect(w.arbitrary.at(-1)).toBe(text);
  await expect(page.getByTestId("records-list")).toContainText("No records yet");

  // Refused before anything is signed: a file over the page's limit.
  const signed = w.signed.length;
  await page.getByTestId("record-file").setInputFiles({ name: "big.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(16 * 1024 * 1024 + 1) });
  await page.getByTestId("record-add").click();
  await expect(page.getByTestId("record-add-status")).toContainText("at most 16,777,216");
  expect(w.signed.length).toBe(signed);

  // Added: encrypted here, minted, stored.
  await page.getByTestId("record-file").setInputFiles({ name: "hba1c.json", mimeType: "application/json", buffer: Buffer.from(REPORT) });
  await page.getByTestId("record-type").selectOption("lab_panel");
  await page.getByTestId("record-add").click();
  const added = page.getByTestId("record-add-status");
  await expect(added).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  const token = (await added.textContent())!.match(/Record (\d+) added/)![1];
  const row = page.getByTestId("records-list").locator("tr", { has: page.getByTestId(`record-open-${token}`) });
  await expect(row).toContainText("Lab report");
  // What the server gives out is ciphertext.
  const served = await page.evaluate(async (t) => new Uint8Array(await (await fetch(`/v1/records/${t}`)).arrayBuffer()).length, token);
  expect(served).toBe(REPORT.length + 40);
  const raw = await (await fetch(`${process.env.BITHIVE_WEB_URL!.replace(/\/$/, "")}/v1/records/${token}`)).text();
  expect(raw).not.toContain("Observation");

  // Opened in the page; read by the CLI with the same account (the same keys, no key stored).
  await page.getByTestId(`record-open-${token}`).click();
  await expect(page.getByTestId("record-text")).toHaveText(REPORT);
  const own = vaultGet(keyring, "patient", token);
  expect(own.ok, own.text).toBe(true);
  expect(own.text).toBe(REPORT);

  // Shares refused with nothing signed: an account that published no reading key, an address
  // of another chain.
  const before = w.signed.length;
  await page.getByTestId("share-to").fill(r.address);
  await page.getByTestId("share").click();
  await expect(page.getByTestId("record-share-status")).toContainText("has not published a reading key");
  await page.getByTestId("share-to").fill("cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu");
  await page.getByTestId("share").click();
  await expect(page.getByTestId("record-share-status")).toContainText("is not a bithive1");
  expect(w.signed.length).toBe(before);
  // The researcher publishes its reading key with the CLI (one transaction of its own).
  const pub = bithive(["vault", "reading-key", "--publish", "--key", "researcher", "--keyring", keyring,
    "--deployment", process.env.BITHIVE_DEPLOYMENT!, "--rpc", process.env.BITHIVE_RPC!]);
  expect(pub.status, pub.out).toBe(0);
  expect(pub.out).toContain("published in the vault");

  // Shared for research: the researcher reads it with the CLI, and the page logs that read.
  await page.getByTestId("share-to").fill(r.address);
  await page.getByTestId("share-purpose").selectOption("research");
  await page.getByTestId("share").click();
  await expect(page.getByTestId("record-shares")).toContainText("Research", { timeout: 60_000 });
  const read = vaultGet(keyring, "researcher", token, "research");
  expect(read.ok, read.text).toBe(true);
  expect(read.text).toBe(REPORT);
  await page.getByTestId(`record-open-${token}`).click();
  await expect(page.getByTestId("record-log")).toContainText("Research");
  await expect(page.getByTestId("record-log").locator(`span[title="${r.address}"]`)).toHaveCount(1);
  await axe(page, "records");
  await shot(page, "records");
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await overflowing(page)).toEqual([]);
  await axe(page, "records (phone)");
  await page.setViewportSize({ width: 1280, height: 800 });

  // Revoked: the researcher's next read is refused.
  await page.getByTestId(`record-revoke-${r.address}-research`).click();
  await expect(page.getByTestId("record-shares")).toContainText("revoked", { timeout: 60_000 });
  const after = vaultGet(keyring, "researcher", token, "research");
  expect(after.ok).toBe(false);
  expect(after.text).toContain("revoked");
});

test("my records: when the server does not take the file after the mint, the page keeps it and sends it again", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "records");
  await connect(page, w);
  await page.getByTestId("records-unlock").click();
  await expect(page.getByTestId("record-add")).toBeVisible();
  // The server refuses the page's first three sends (its automatic tries), then takes them.
  let refused = 0;
  await page.route("**/v1/records/*", (route) => {
    if (route.request().method() === "POST" && refused < 3) {
      refused += 1;
      return route.fulfill({ status: 503, body: "the content store is busy" });
    }
    return route.continue();
  });
  const note = '{"resourceType":"Observation","code":"2345-7","valueQuantity":{"value":5.4,"unit":"mmol/L"}}';
  await page.getByTestId("record-file").setInputFiles({ name: "glucose.json", mimeType: "application/json", buffer: Buffer.from(note) });
  await page.getByTestId("record-add").click();
  const status = page.getByTestId("record-add-status");
  await expect(status).toContainText("its encrypted file was not stored: the content store is busy", { timeout: 60_000 });
  expect(refused).toBe(3);
  const token = (await status.textContent())!.match(/Record (\d+) was added/)![1];
  // Sent again from the page's copy: the exact file the record names, so the server takes it.
  await page.getByTestId("record-resend").click();
  await expect(status).toHaveAttribute("data-state", "included", { timeout: 30_000 });
  await expect(status).toContainText(`Record ${token} added`);
  await page.getByTestId(`record-open-${token}`).click();
  await expect(page.getByTestId("record-text")).toHaveText(note);
});

test("my records: a share sealed to the reader's reading key is read in the reader's own page, and logged", async ({ page, browser }) => {
  // The reader: a funded account of its own, in a keyring for the CLI's side.
  const dir = mkdtempSync(path.join(tmpdir(), "bithive-records-reader-"));
  const keyring = path.join(dir, "keyring.json");
  const reader = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
  const [r] = await reader.getAccounts();
  writeFileSync(path.join(dir, "reader"), reader.mnemonic, { mode: 0o600 });
  expect(bithive(["keys", "add", "reader", "--mnemonic-file", path.join(dir, "reader"), "--keyring", keyring]).status).toBe(0);
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" });
  const [d] = await deployer.getAccounts();
  const bank = await SigningStargateClient.connectWithSigner(process.env.BITHIVE_RPC!, deployer, { gasPrice: GasPrice.fromString("0.025ubhive") });
  await bank.sendTokens(d.address, r.address, [{ denom: "ubhive", amount: "10000000" }], "auto");
  writeFileSync(path.join(dir, "patient"), process.env.BITHIVE_USER_MNEMONIC!, { mode: 0o600 });
  expect(bithive(["keys", "add", "patient", "--mnemonic-file", path.join(dir, "patient"), "--keyring", keyring]).status).toBe(0);
  const chainArgs = ["--deployment", process.env.BITHIVE_DEPLOYMENT!, "--rpc", process.env.BITHIVE_RPC!];
  const cli = (key: string, args: string[]) => {
    const res = bithive([...args, "--key", key, "--keyring", keyring]);
    expect(res.status, res.out).toBe(0);
    return res.out.trim();
  };
  const mine = JSON.parse(cli("reader", ["vault", "reading-key", "--json", ...chainArgs]));
  const readingKey: string = mine.reading_key;
  const bitchatKey = cli("reader", ["vault", "identity"]);
  expect(readingKey).toMatch(/^[0-9a-f]{64}$/);
  expect(readingKey).not.toBe(bitchatKey);
  expect(mine.published).toBe(false);

  // The patient adds a note. The reader published no reading key yet: the page refuses to share
  // with nothing signed. The CLI shares it for research to the BitChat key the reader handed
  // over (which only the CLI holds), saying it had that key from them in person.
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "records");
  await connect(page, w);
  await page.getByTestId("records-unlock").click();
  const note = '{"resourceType":"DiagnosticReport","conclusion":"no acute findings"}';
  await page.getByTestId("record-file").setInputFiles({ name: "mri-report.json", mimeType: "application/json", buffer: Buffer.from(note) });
  await page.getByTestId("record-add").click();
  const added = page.getByTestId("record-add-status");
  await expect(added).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  const token = (await added.textContent())!.match(/Record (\d+) added/)![1];
  const share = async (purpose: string) => {
    await page.getByTestId(`record-open-${token}`).click();
    await expect(page.getByTestId("record-text")).toHaveText(note);
    await page.getByTestId("share-to").fill(r.address);
    await page.getByTestId("share-purpose").selectOption(purpose);
    await page.getByTestId("share").click();
  };
  const signedBefore = w.signed.length;
  await share("treatment");
  await expect(page.getByTestId("record-share-status")).toContainText("has not published a reading key", { timeout: 30_000 });
  await expect(page.getByTestId("record-share-status")).toContainText("Nothing was signed");
  expect(w.signed.length).toBe(signedBefore);
  cli("patient", ["vault", "grant", token, "--to", r.address, "--to-key", bitchatKey, "--unpublished-key",
    "--purpose", "research", "--days", "30", ...chainArgs,
    "--store-dir", process.env.BITHIVE_STORE_DIR!, "--store-key-file", process.env.BITHIVE_STORE_KEY_FILE!]);

  // The reader, in its own browser: its reading key is the CLI's; it publishes it there.
  const ctx = await browser.newContext();
  const p2 = await ctx.newPage();
  const w2 = await injectWallet(p2, reader.mnemonic);
  await open(p2, "records");
  await connect(p2, w2);
  await p2.getByTestId("records-unlock").click();
  await expect(p2.getByTestId("reading-key")).toHaveText(readingKey);
  await expect(p2.getByTestId("reading-key-state")).toContainText("Not published yet");
  await p2.getByTestId("reading-key-publish").click();
  await expect(p2.getByTestId("reading-key-state")).toContainText("Published in the vault", { timeout: 60_000 });
  await expect(p2.getByTestId("reading-key-publish")).toHaveCount(0);
  expect(JSON.parse(cli("reader", ["vault", "reading-key", "--json", ...chainArgs])).published).toBe(true);

  // Now the patient's page finds it by address and shares for treatment.
  await share("treatment");
  await expect(page.getByTestId("record-notice")).toContainText("Shared with", { timeout: 60_000 });
  await expect(page.getByTestId("record-notice")).toContainText(`sealed to the reading key ${readingKey.slice(0, 16)}`);

  // The reader sees both shares (the screen drawn again: locked and unlocked).
  await p2.getByTestId("records-lock").click();
  await p2.getByTestId("records-unlock").click();
  await expect(p2.getByTestId(`shared-read-${token}-treatment`)).toBeVisible({ timeout: 30_000 });
  await expect(p2.getByTestId(`shared-read-${token}-research`)).toBeVisible();
  await p2.getByTestId(`shared-read-${token}-treatment`).click();
  const status = p2.getByTestId("shared-read-status");
  await expect(status).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  await expect(status).toContainText("your read is in the owner's access log");
  await expect(p2.getByTestId("shared-text")).toHaveText(note);
  // Sealed to the BitChat key: refused in the page before anything is signed (the CLI reads it).
  const signed = w2.signed.length;
  await p2.getByTestId(`shared-read-${token}-research`).click();
  await expect(status).toContainText("bithive vault identity", { timeout: 60_000 });
  await expect(status).toContainText("Nothing was signed");
  expect(w2.signed.length).toBe(signed);
  await expect(p2.getByTestId("shared-text")).toHaveCount(0);
  await axe(p2, "records (reader)");
  await p2.setViewportSize({ width: 390, height: 844 });
  expect(await overflowing(p2)).toEqual([]);
  await ctx.close();

  // The patient's log shows the one read.
  await page.getByTestId(`record-open-${token}`).click();
  await expect(page.getByTestId("record-log").locator(`span[title="${r.address}"]`)).toHaveCount(1);
});
