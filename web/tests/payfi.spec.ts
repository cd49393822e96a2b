// The PayFi screen (issue #45) on global setup's deployment: the test wallet (a patient) locks
// 100 BTT for a provider in two coded milestones with an insurer as arbiter; free text where a
// code belongs is refused before anything is signed; the patient releases the first milestone
// (the provider's balance grows by it, less the fee); the provider side disputes (here the
// patient, who may too); the insurer, in its own browser, finds the escrow by number and splits
// what is left. axe at desktop and phone width, nothing wider than a phone.
import { test, expect } from "@playwright/test";
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { readFileSync } from "node:fs";
import { injectWallet } from "./wallet";
import { axe, connect, open, overflowing, shot } from "./helpers";

test("payfi: a coded milestone escrow is created, released, disputed and resolved by its arbiter; bad codes are refused unsigned", async ({ page, browser }) => {
  const d = JSON.parse(readFileSync(process.env.BITHIVE_DEPLOYMENT!, "utf8"));
  const q = await CosmWasmClient.connect(process.env.BITHIVE_RPC!);
  const [provider] = await (await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_NODE_MNEMONIC!, { prefix: "bithive" })).getAccounts();
  const [insurer] = await (await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" })).getAccounts();
  const btt = async (a: string) => BigInt((await q.queryContractSmart(d.contracts.btt, { balance: { address: a } })).balance);

  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "payfi");
  await expect(page.getByTestId("need-wallet")).toBeVisible();
  await connect(page, w);
  await page.getByTestId("escrow-payee").fill(provider.address);
  await page.getByTestId("escrow-arbiter").fill(insurer.address);
  await page.getByTestId("escrow-type").selectOption("procedure");
  await page.getByTestId("escrow-procedures").fill("0DTJ4ZZ");
  await page.getByTestId("escrow-invoice").fill(`INV-${Date.now() % 100000}`);

  // Free text where a code belongs: refused here, nothing signed.
  await page.getByTestId("escrow-diagnoses").fill("appendicitis");
  const signedBefore = w.signed.length;
  await page.getByTestId("escrow-create").click();
  await expect(page.getByTestId("escrow-create-status")).toContainText('Not sent: "appendicitis" is not a diagnosis code');
  expect(w.signed.length).toBe(signedBefore);

  await page.getByTestId("escrow-diagnoses").fill("K35.80");
  await page.getByTestId("escrow-create").click();
  await expect(page.getByTestId("escrow-create-status")).toHaveAttribute("data-state", "included");
  const id = (await page.getByTestId("escrow-create-status").textContent())!.match(/Escrow (\d+) holds 100 BTT/)![1];
  await expect(page.getByTestId(`escrow-released-${id}`)).toHaveText("0 of 2 milestones");

  // The first milestone to the provider, less the fee.
  const before = await btt(provider.address);
  await page.getByTestId(`release-${id}`).click();
  await expect(page.getByTestId("escrow-action-status")).toHaveAttribute("data-state", "included");
  await expect(page.getByTestId(`escrow-released-${id}`)).toHaveText("1 of 2 milestones");
  const e = await q.queryContractSmart(d.contracts.payfi_escrow, { escrow: { escrow_id: Number(id) } });
  expect(await btt(provider.address)).toBe(before + BigInt(e.paid_to_payee));
  expect(BigInt(e.paid_to_payee) + BigInt(e.fees_paid)).toBe(60_000_000n);

  await page.getByTestId(`dispute-${id}`).click();
  await expect(page.getByTestId(`escrow-status-${id}`)).toContainText("disputed");
  await expect(page.getByTestId(`release-${id}`)).toHaveCount(0);
  await axe(page, "payfi");
  await shot(page, "payfi");

  // The insurer, in its own browser, finds it by number and splits the 40 BTT left.
  const ctx = await browser.newContext();
  const arb = await ctx.newPage();
  const wa = await injectWallet(arb, process.env.BITHIVE_DEPLOYER_MNEMONIC!);
  await open(arb, "payfi");
  await connect(arb, wa);
  await arb.getByTestId("escrow-lookup").fill(id);
  await arb.getByTestId("escrow-lookup").press("Enter");
  await arb.getByTestId(`resolve-amount-${id}`).fill("50");
  const arbSigned = wa.signed.length;
  await arb.getByTestId(`resolve-${id}`).click();
  await expect(arb.getByTestId("escrow-action-status")).toContainText("only 40 BTT is left");
  expect(wa.signed.length).toBe(arbSigned);
  await arb.getByTestId(`resolve-amount-${id}`).fill("10");
  await arb.getByTestId(`resolve-${id}`).click();
  await expect(arb.getByTestId("escrow-action-status")).toHaveAttribute("data-state", "included");
  await expect(arb.getByTestId(`escrow-status-${id}`)).toHaveText("closed");
  // The split on chain: 10 BTT more to the provider (with the first 60, less fees), 30 back.
  const closed = await q.queryContractSmart(d.contracts.payfi_escrow, { escrow: { escrow_id: Number(id) } });
  expect(BigInt(closed.paid_to_payee) + BigInt(closed.fees_paid)).toBe(70_000_000n);
  expect(closed.refunded).toBe("30000000");
  await ctx.close();

  await page.setViewportSize({ width: 390, height: 844 });
  await open(page, "payfi");
  await expect.poll(() => overflowing(page), { message: "elements wider than the phone's screen" }).toEqual([]);
  await axe(page, "payfi-phone");
});
