// The Explorer (issue #45) on global setup's deployment: a BTT transfer made in the Wallet screen
// links from its status line to its page in the explorer, which names the contract by its role
// (btt), shows the message as sent and the contract's event (transfer, amount, recipient); its
// block lists it; the front page lists the latest blocks and its search finds an account, whose
// page shows its balances and the transaction; a hash no node knows, a height past the tip and
// words that are none of the three are said plainly. axe, and no sideways scroll at 390 px.
import { test, expect } from "@playwright/test";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { injectWallet } from "./wallet";
import { axe, connect, open, overflowing, shot } from "./helpers";

test("explorer: a transfer's own page, its block, the latest blocks, an account found by search", async ({ page }) => {
  const node = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_NODE_MNEMONIC!, { prefix: "bithive" });
  const [to] = await node.getAccounts();
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "wallet");
  await connect(page, w);
  await page.getByLabel("Asset").selectOption("BTT");
  await page.getByTestId("send-to").fill(to.address);
  await page.getByTestId("send-amount").fill("1.25");
  await page.getByTestId("send-submit").click();
  const status = page.getByTestId("send-status");
  await expect(status).toHaveAttribute("data-state", "included", { timeout: 60_000 });

  // The status line links to the transaction's page.
  await page.getByTestId("send-status-tx").click();
  const tx = page.getByTestId("explorer-tx");
  await expect(tx).toBeVisible();
  await expect(page.getByTestId("explorer-tx-result")).toHaveText("succeeded");
  await expect(page.getByTestId("explorer-msg-contract")).toHaveText("btt");
  await expect(page.getByTestId("explorer-msg-json")).toContainText('"transfer"');
  await expect(page.getByTestId("explorer-msg-json")).toContainText('"1250000"');
  const events = page.getByTestId("explorer-events");
  await expect(events.locator("tr", { hasText: "transfer" })).toContainText(`to = ${to.address}`);
  await expect(events).toContainText("amount = 1250000");
  await axe(page, "explorer tx");
  await shot(page, "explorer-tx");
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await overflowing(page)).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 800 });
  const hash = page.url().split("/").pop()!;

  // Its block lists it.
  await page.getByTestId("explorer-tx-block").click();
  await expect(page.getByTestId(`explorer-block-tx-${hash}`)).toHaveCount(1);

  // The front page: latest blocks; search finds the sender's account, with the transfer.
  await open(page, "explorer");
  await expect(page.getByTestId("explorer-blocks").locator("tbody tr")).toHaveCount(10);
  await page.getByTestId("explorer-q").fill(w.address);
  await page.getByTestId("explorer-search").click();
  const account = page.getByTestId("explorer-account");
  await expect(account).toBeVisible();
  await expect(account.getByTestId("balance-BTT")).not.toHaveText("0");
  await expect(page.getByTestId("explorer-account-txs").locator(`a[href="#explorer/tx/${hash}"]`)).toHaveCount(1);
  await axe(page, "explorer account");
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await overflowing(page)).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 800 });

  // Said plainly: words that are not a hash, an address or a height; an unknown hash; a height
  // past the tip.
  await open(page, "explorer");
  await page.getByTestId("explorer-q").fill("hello");
  await page.getByTestId("explorer-search").click();
  await expect(page.getByTestId("explorer-search-status")).toContainText("is not a transaction hash");
  await open(page, `explorer/tx/${"0".repeat(64)}`);
  await expect(page.getByTestId("explorer-missing")).toContainText("No transaction");
  await open(page, "explorer/block/99999999");
  await expect(page.getByTestId("explorer-missing")).toContainText("No block 99999999");
  await axe(page, "explorer front");
});
