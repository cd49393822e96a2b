// The PayFi screen (issue #45) on global setup's deployment: the test wallet (a patient) locks
// 100 BTT for a provider in two coded milestones with an insurer as arbiter; free text where a
// code belongs is refused before anything is signed; the patient releases the first milestone
// (the provider's balance grows by it, less the fee); the provider side disputes (here the
// patient, who may too); the insurer, in its own browser, finds the escrow by number and splits
// what is left. axe at desktop and phone width, nothing wider than a phone.
import { test, expect } from "@playwright/test";
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
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

/** `bithive ARGS`; its status and output. */
function bithive(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.env.BITHIVE_BIN!, args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

// A payment channel in the page (ADR 011): the patient opens one to the provider with a BTT
// deposit; what the page would refuse is refused unsigned (a channel to oneself, no deposit, a
// voucher above the deposit); the patient's wallet signs vouchers (signArbitrary of the voucher
// text, no transaction); the provider's page, in its own browser, refuses a forged signature
// unsigned and redeems the first voucher; its CLI redeems the second (the same wallet form); the
// chain pays what each adds. axe, phone width.
test("payfi: a payment channel opened in the page, vouchers signed by the wallet, redeemed by the payee's page and CLI", async ({ page, browser }) => {
  const d = JSON.parse(readFileSync(process.env.BITHIVE_DEPLOYMENT!, "utf8"));
  const q = await CosmWasmClient.connect(process.env.BITHIVE_RPC!);
  const [provider] = await (await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_NODE_MNEMONIC!, { prefix: "bithive" })).getAccounts();
  const btt = async (a: string) => BigInt((await q.queryContractSmart(d.contracts.btt, { balance: { address: a } })).balance);
  const channel = async (id: string) => q.queryContractSmart(d.contracts.payfi_escrow, { channel: { channel_id: Number(id) } });

  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "payfi");
  await connect(page, w);
  const status = page.getByTestId("channel-open-status");
  const signed = w.signed.length;
  await page.getByTestId("channel-payee").fill(w.address);
  await page.getByTestId("channel-deposit").fill("10");
  await page.getByTestId("channel-open").click();
  await expect(status).toContainText("a channel pays someone else");
  await page.getByTestId("channel-payee").fill(provider.address);
  await page.getByTestId("channel-deposit").fill("0");
  await page.getByTestId("channel-open").click();
  await expect(status).toContainText("the amount must be more than zero");
  expect(w.signed.length).toBe(signed);
  await page.getByTestId("channel-deposit").fill("10");
  await page.getByTestId("channel-open").click();
  await expect(status).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  const id = (await status.textContent())!.match(/Channel (\d+) is open/)![1];
  await expect(page.getByTestId(`channel-state-${id}`)).toHaveText("open");
  expect((await channel(id)).deposit).toBe("10000000");

  // A voucher above the deposit: refused before the wallet is asked.
  const asked = w.arbitrary.length;
  await page.getByTestId("voucher-total").fill("11");
  await page.getByTestId("voucher-sign").click();
  await expect(page.getByTestId("channel-action-status")).toContainText("the channel holds 10 BTT");
  expect(w.arbitrary.length).toBe(asked);
  const sign = async (total: string) => {
    await page.getByTestId("voucher-total").fill(total);
    await page.getByTestId("voucher-sign").click();
    await expect(page.getByTestId("voucher-total-out")).toHaveText(total);
    return (await page.getByTestId("voucher-signature").textContent())!;
  };
  const first = await sign("2.5");
  // The text the wallet shows names who is paid and in what (v2).
  expect(w.arbitrary.at(-1)).toBe(`bithive.payfi.voucher.v2 chain=${d.chain_id} contract=${d.contracts.payfi_escrow} channel=${id} payee=${provider.address} asset=cw20:${d.contracts.btt} cumulative=2500000`);
  expect(w.signed.length).toBe(signed + 1);
  await axe(page, "payfi channel (payer)");

  // The provider, in its own browser: a forged signature is refused unsigned; the voucher pays.
  const ctx = await browser.newContext();
  const p2 = await ctx.newPage();
  const w2 = await injectWallet(p2, process.env.BITHIVE_NODE_MNEMONIC!);
  await open(p2, "payfi");
  await connect(p2, w2);
  await p2.getByTestId("channel-lookup").fill(id);
  await p2.getByTestId("channel-lookup").press("Enter");
  await p2.getByTestId("redeem-total").fill("2.5");
  await p2.getByTestId("redeem-signature").fill("11".repeat(64));
  const s2 = w2.signed.length;
  await p2.getByTestId("redeem").click();
  await expect(p2.getByTestId("channel-action-status")).toContainText("not the payer's voucher for 2.5 BTT");
  expect(w2.signed.length).toBe(s2);
  const before = await btt(provider.address);
  await p2.getByTestId("redeem-signature").fill(first);
  await p2.getByTestId("redeem").click();
  await expect(p2.getByTestId("channel-action-status")).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  const c1 = await channel(id);
  expect(c1.redeemed).toBe("2500000");
  expect(await btt(provider.address)).toBe(before + BigInt(c1.paid_to_payee));
  await axe(p2, "payfi channel (payee)");
  await p2.setViewportSize({ width: 390, height: 844 });
  expect(await overflowing(p2)).toEqual([]);
  await ctx.close();

  // The second voucher, redeemed by the provider's CLI: it tells the wallet's form itself.
  const second = await sign("4");
  await expect(page.getByTestId("voucher-out")).toContainText(`bithive escrow channel redeem ${id} --total 4 --signature ${second}`);
  const dir = mkdtempSync(path.join(tmpdir(), "bithive-channel-"));
  writeFileSync(path.join(dir, "provider"), process.env.BITHIVE_NODE_MNEMONIC!, { mode: 0o600 });
  const keyring = path.join(dir, "keyring.json");
  const add = bithive(["keys", "add", "provider", "--mnemonic-file", path.join(dir, "provider"), "--keyring", keyring]);
  expect(add.status, add.out).toBe(0);
  const r = bithive(["escrow", "channel", "redeem", id, "--total", "4", "--signature", second, "--key", "provider", "--keyring", keyring,
    "--deployment", process.env.BITHIVE_DEPLOYMENT!, "--rpc", process.env.BITHIVE_RPC!]);
  expect(r.status, r.out).toBe(0);
  expect((await channel(id)).redeemed).toBe("4000000");

  // The payer adds to the deposit (the card drawn again with it); a voucher past the first
  // deposit is signed then.
  await page.getByTestId(`channel-top-up-amount-${id}`).fill("0");
  await page.getByTestId(`channel-top-up-${id}`).click();
  await expect(page.getByTestId("channel-action-status")).toContainText("more than zero");
  await page.getByTestId(`channel-top-up-amount-${id}`).fill("5");
  await page.getByTestId(`channel-top-up-${id}`).click();
  await expect(page.getByTestId("channel-action-status")).toContainText(`Channel ${id} now holds 15 BTT`, { timeout: 60_000 });
  expect((await channel(id)).deposit).toBe("15000000");
  await sign("12");

  // The payer asks to close: the payee may still redeem until the challenge period ends.
  await page.getByTestId(`channel-request-close-${id}`).click();
  await expect(page.getByTestId(`channel-state-${id}`)).toContainText("closing", { timeout: 60_000 });
  await expect(page.getByTestId("channel-action-status")).toContainText(`Channel ${id} is closing`);
  expect((await channel(id)).close_requested_at).not.toBeNull();
});
