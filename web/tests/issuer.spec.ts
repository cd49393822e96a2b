// The Asset issuer screen (issue #45) on global setup's deployment, whose asset contract's admin
// is the deployer: the deployer's wallet issues a scanner to the user with its document's sha256
// computed in the page (checked on chain); refused with nothing signed: a bad id, no document, an
// owner not approved for an approved-holders-only jurisdiction, an id issued already. The deployer
// registers the user as a valuer; the user's wallet sees no issue form, values the scanner and
// locks it in the fractional vault for 1,000 shares (a zero reserve refused unsigned), checked on
// chain: the vault holds it and the shares are the user's. axe, phone width. The DAO's path (a
// member's mint is a proposal) is cli/tests/gov.rs's, through the same words.
import { test, expect } from "@playwright/test";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { injectWallet } from "./wallet";
import { axe, connect, open, overflowing, shot } from "./helpers";

const DOC = Buffer.from("%PDF-1.7 MRI scanner, serial 9021, installed 2026, service contract attached");

test("asset issuer: the admin issues, a valuer values, the owner locks for shares; refusals sign nothing", async ({ page, browser }) => {
  const d = JSON.parse(readFileSync(process.env.BITHIVE_DEPLOYMENT!, "utf8"));
  const nft: string = d.contracts.asset_nft;
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" });
  const [admin] = await deployer.getAccounts();
  const user = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_USER_MNEMONIC!, { prefix: "bithive" });
  const [u] = await user.getAccounts();
  const c = await SigningCosmWasmClient.connectWithSigner(process.env.BITHIVE_RPC!, deployer, { gasPrice: GasPrice.fromString("0.025ubhive") });
  const id = `mri-web-${Date.now() % 100000}`;

  // The admin.
  const w = await injectWallet(page, process.env.BITHIVE_DEPLOYER_MNEMONIC!);
  await open(page, "issuer");
  await expect(page.getByTestId("need-wallet")).toContainText("issue healthcare assets");
  await connect(page, w);
  await expect(page.getByTestId("issuer-role")).toContainText("You are the asset contract's admin");
  const status = page.getByTestId("issue-status");
  const signed = w.signed.length;
  await page.getByTestId("issue-id").fill("mri 9021");
  await page.getByTestId("issue-owner").fill(u.address);
  await page.getByTestId("issue-uri").fill("ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi");
  await page.getByTestId("issue").click();
  await expect(status).toContainText("1 to 64 of a-z A-Z 0-9 - _ .");
  await page.getByTestId("issue-id").fill(id);
  await page.getByTestId("issue").click();
  await expect(status).toContainText("Choose the document");
  await page.getByTestId("issue-document").setInputFiles({ name: "scanner.pdf", mimeType: "application/pdf", buffer: DOC });
  await page.getByTestId("issue-marker-approved_holders_only").check();
  await page.getByTestId("issue").click();
  await expect(status).toContainText("is not approved to hold assets of EU (approved holders only)");
  expect(w.signed.length).toBe(signed);

  // Issued: the document's sha256 from the page, the markers, the owner.
  await page.getByTestId("issue-marker-approved_holders_only").uncheck();
  await page.getByTestId("issue-marker-medical_device_regulated").check();
  await page.getByTestId("issue-class").selectOption("medical_equipment");
  await page.getByTestId("issue").click();
  await expect(status).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  await expect(status).toContainText(`Asset ${id} issued`);
  const info = await c.queryContractSmart(nft, { all_nft_info: { token_id: id } });
  expect(info.access.owner).toBe(u.address);
  expect(info.info.extension.content_hash).toBe(createHash("sha256").update(DOC).digest("hex"));
  expect(info.info.extension.jurisdictions).toEqual([{ code: "EU", markers: ["medical_device_regulated"] }]);
  const after = w.signed.length;
  await page.getByTestId("issue").click();
  await expect(status).toContainText(`Asset ${id} exists already`);
  expect(w.signed.length).toBe(after);
  await axe(page, "asset issuer (admin)");

  // The user, a valuer now, is not the admin: no issue form; values, then locks for shares.
  await c.execute(admin.address, nft, { add_valuer: { valuer: u.address } }, "auto");
  const ctx = await browser.newContext();
  const p2 = await ctx.newPage();
  const w2 = await injectWallet(p2, process.env.BITHIVE_USER_MNEMONIC!);
  await open(p2, "issuer");
  await connect(p2, w2);
  await expect(p2.getByTestId("issuer-role")).toContainText("Only the asset contract's admin");
  await expect(p2.getByTestId("issue")).toHaveCount(0);
  await p2.getByTestId("value-id").fill(id);
  await p2.getByTestId("value-amount").fill("250000");
  await p2.getByTestId("value").click();
  await expect(p2.getByTestId("value-status")).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  const history = await c.queryContractSmart(nft, { valuation_history: { token_id: id } });
  expect(history.entries.map((e: { valuer: string; value: string }) => [e.valuer, e.value])).toEqual([[u.address, "250000"]]);

  const lockSigned = w2.signed.length;
  await p2.getByTestId("lock-asset").selectOption(id);
  await p2.getByTestId("lock-name").fill("MRI 9021 shares");
  await p2.getByTestId("lock-symbol").fill("MRIW");
  await p2.getByTestId("lock-reserve").fill("0");
  await p2.getByTestId("lock").click();
  await expect(p2.getByTestId("lock-status")).toContainText("Reserve price: the amount must be more than zero");
  expect(w2.signed.length).toBe(lockSigned);
  await p2.getByTestId("lock-reserve").fill("500");
  await p2.getByTestId("lock").click();
  const locked = p2.getByTestId("lock-status");
  await expect(locked).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  const vaultId = Number((await locked.textContent())!.match(/locked in vault (\d+)/)![1]);
  const vault = await c.queryContractSmart(d.contracts.fractional, { vault: { vault_id: vaultId } });
  expect(vault.token_id).toBe(id);
  expect(vault.reserve_amount).toBe("500000000");
  expect(vault.status).toBe("active");
  const shares = await c.queryContractSmart(vault.share_token, { balance: { address: u.address } });
  expect(shares.balance).toBe("1000000000");
  expect((await c.queryContractSmart(nft, { owner_of: { token_id: id } })).owner).toBe(d.contracts.fractional);
  await axe(p2, "asset issuer (valuer and owner)");
  await shot(p2, "issuer");
  await p2.setViewportSize({ width: 390, height: 844 });
  expect(await overflowing(p2)).toEqual([]);
  await axe(p2, "asset issuer (phone)");
  await ctx.close();
});
