// Wallets (issue #45): the app works with Leap as with Keplr. A browser with Leap alone (its API
// at `window.leap`) connects, sends BTT and signs a message (the records unlock) through Leap. A
// browser with both wallets, each holding another account, offers the choice: the account the
// user picks is the one connected, and the other wallet is asked nothing. With no wallet, the app
// says which to install. axe with the choice shown. A Ledger account (Keplr's amino-only signer)
// sends BHIVE and calls the BTT contract through the app, signed as amino JSON and taken by the chain.
import { test, expect } from "@playwright/test";
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { readFileSync } from "node:fs";
import { injectWallet } from "./wallet";
import { axe, open } from "./helpers";

test("wallets: Leap alone connects, sends and signs; with Keplr and Leap the user picks; with none the app says so", async ({ page, browser }) => {
  const node = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_NODE_MNEMONIC!, { prefix: "bithive" });
  const [to] = await node.getAccounts();

  // Leap alone.
  const leap = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!, "leap");
  await open(page, "wallet");
  await expect(page.getByTestId("wallet-choice")).toHaveCount(0);
  await page.getByTestId("connect").click();
  await expect(page.getByTestId("account")).toContainText(leap.address.slice(0, 12));
  await page.getByLabel("Asset").selectOption("BTT");
  await page.getByTestId("send-to").fill(to.address);
  await page.getByTestId("send-amount").fill("0.5");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-status")).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  expect(leap.signed.length).toBe(1);
  await open(page, "records");
  await page.getByTestId("records-unlock").click();
  await expect(page.getByTestId("record-add")).toBeVisible();
  expect(leap.arbitrary.length).toBe(1);

  // Keplr and Leap in one browser, another account in each: the user picks Leap.
  const bothContext = await browser.newContext();
  const both = await bothContext.newPage();
  const keplr = await injectWallet(both, process.env.BITHIVE_NODE_MNEMONIC!, "keplr");
  const leap2 = await injectWallet(both, process.env.BITHIVE_USER_MNEMONIC!, "leap");
  await open(both, "wallet");
  const choice = both.getByTestId("wallet-choice");
  await expect(choice.locator("option")).toHaveText(["Keplr", "Leap"]);
  await axe(both, "wallet choice");
  await choice.selectOption("leap");
  await both.getByTestId("connect").click();
  await expect(both.getByTestId("account")).toContainText(`(Leap): ${leap2.address.slice(0, 12)}`);
  await expect(both.getByTestId("wallet-choice")).toBeHidden();
  expect(keplr.calls).toEqual([]);
  await bothContext.close();

  // No wallet at all.
  const noneContext = await browser.newContext();
  const none = await noneContext.newPage();
  await open(none, "wallet");
  await none.getByTestId("connect").click();
  await expect(none.getByTestId("account")).toContainText("No wallet found: install Keplr or Leap");
  await noneContext.close();
});

test("wallets: a Ledger account (amino JSON only) sends BHIVE and BTT, a contract call, through the app", async ({ page }) => {
  const d = JSON.parse(readFileSync(process.env.BITHIVE_DEPLOYMENT!, "utf8"));
  const chain = await CosmWasmClient.connect(process.env.BITHIVE_RPC!);
  const to = (await (await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" })).getAccounts())[0].address;
  const ledger = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!, "keplr", true);
  await open(page, "wallet");
  await page.getByTestId("connect").click();
  await expect(page.getByTestId("account")).toContainText(ledger.address.slice(0, 12));
  for (const [asset, amount] of [["BHIVE", "0.25"], ["BTT", "0.5"]]) {
    await page.getByLabel("Asset").selectOption(asset);
    await page.getByTestId("send-to").fill(to);
    await page.getByTestId("send-amount").fill(amount);
    await page.getByTestId("send-submit").click();
    await expect(page.getByTestId("send-status")).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  }
  // Signed as amino JSON (what the Ledger shows), never as protobuf; the chain took both.
  expect(ledger.signed.length).toBe(0);
  expect(ledger.signedAmino.map((doc) => doc.msgs.map((m) => m.type))).toEqual([["cosmos-sdk/MsgSend"], ["wasm/MsgExecuteContract"]]);
  expect((await chain.getBalance(to, "ubhive")).amount).toBe("250000");
  expect((await chain.queryContractSmart(d.contracts.btt, { balance: { address: to } })).balance).toBe("500000");
});
