// The Research data screen (issue #45) on global setup's deployment: the deployer (the vault's
// admin) makes itself curator and answerer and creates a dataset (epsilon 2 in all, 1 a query,
// 1.5 a researcher, 1000 ubhive an epsilon). The test wallet, a researcher, sees the budget; a
// query above the per-query epsilon is refused unsigned; a count at epsilon 1 is paid (1000
// ubhive) and, once the answerer's answer lands, shown; a histogram at epsilon 0.3333 costs what
// the vault charges (ceil(333.3) = 334 ubhive), shown before signing, and a bad field name signs
// nothing; the budget the page shows is the vault's; a mean above what the researcher has left is
// refused unsigned while the dataset still has budget for others. The
// answerer here is the test itself (the relayer's answerer is tested in cli/tests/dp.rs). axe at
// desktop and phone width, nothing wider than a phone.
import { test, expect } from "@playwright/test";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { readFileSync } from "node:fs";
import type { ExecuteMsg as VaultMsg } from "../src/contracts/DataVault.types";
import { injectWallet } from "./wallet";
import { axe, connect, open, overflowing, shot } from "./helpers";

test("research data: a researcher sees the budget, pays for a count within it and reads the noisy answer; above it nothing is signed", async ({ page }) => {
  const d = JSON.parse(readFileSync(process.env.BITHIVE_DEPLOYMENT!, "utf8"));
  const vault: string = d.contracts.data_vault;
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" });
  const [admin] = await deployer.getAccounts();
  const c = await SigningCosmWasmClient.connectWithSigner(process.env.BITHIVE_RPC!, deployer, { gasPrice: GasPrice.fromString("0.025ubhive") });
  await c.executeMultiple(admin.address, [
    { contractAddress: vault, msg: { update_curators: { add: [admin.address], remove: [] } } satisfies VaultMsg },
    { contractAddress: vault, msg: { update_answerers: { add: [admin.address], remove: [] } } satisfies VaultMsg },
  ], "auto");
  const name = `hba1c-${Date.now() % 100000}`;
  const created = await c.execute(admin.address, vault, {
    create_dataset: {
      name, record_type: "lab_panel", total_epsilon: "2", max_query_epsilon: "1", max_querier_epsilon: "1.5",
      price_asset: { native: "ubhive" }, price_per_epsilon: "1000", query_ttl_seconds: 3600, max_members: 100, admission: { open: {} },
    },
  } satisfies VaultMsg, "auto");
  const id = created.events.flatMap((e) => e.attributes).find((a) => a.key === "dataset_id")!.value;

  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "research-data");
  await expect(page.locator(`[data-dataset="${id}"]`)).toContainText(name);
  await connect(page, w);
  await expect(page.getByTestId(`dataset-left-${id}`)).toHaveText("epsilon 2 of 2");
  await expect(page.getByTestId(`dataset-yours-${id}`)).toHaveText("epsilon 1.5");
  await page.getByTestId("dp-dataset").selectOption(id);

  // Above the per-query epsilon: refused here, nothing signed.
  await page.getByTestId("dp-epsilon").fill("1.2");
  const signed = w.signed.length;
  await page.getByTestId("dp-ask").click();
  await expect(page.getByTestId("dp-status")).toContainText(`Not sent: dataset ${id} takes at most epsilon 1 a query`);
  expect(w.signed.length).toBe(signed);

  // A count at epsilon 1: paid, then answered by the answerer (the test, as the admin).
  const before = BigInt((await c.getBalance(vault, "ubhive")).amount);
  await page.getByTestId("dp-epsilon").fill("1");
  await page.getByTestId("dp-ask").click();
  await expect(page.getByTestId("dp-status")).toHaveAttribute("data-state", "included");
  expect(BigInt((await c.getBalance(vault, "ubhive")).amount) - before).toBe(1000n);
  const { queries } = await c.queryContractSmart(vault, { dp_queries: { dataset_id: Number(id) } });
  const pending = queries.find((x: { status: unknown }) => x.status === "pending");
  await c.execute(admin.address, vault, { submit_answer: { query_id: pending.id, answer: { count: { value: "41.2718" } } } } satisfies VaultMsg, "auto");
  await expect(page.getByTestId("dp-answer")).toContainText("count ≈ 41.27 (noisy)");
  await expect(page.getByTestId(`dataset-yours-${id}`)).toHaveText("epsilon 0.5");
  await expect(page.getByTestId(`dataset-left-${id}`)).toHaveText("epsilon 1 of 2");

  // A histogram at epsilon 0.3333: the price rounds up as the vault's does (333.3 -> 334).
  await page.getByTestId("dp-kind").selectOption("histogram");
  await page.getByTestId("dp-field").fill("Bad Field");
  await page.getByTestId("dp-lower").fill("20");
  await page.getByTestId("dp-upper").fill("120");
  await page.getByTestId("dp-epsilon").fill("0.3333");
  await expect(page.getByTestId("dp-cost")).toHaveText(`This query costs 0.000334 BHIVE and epsilon 0.3333 of your 0.5 left on dataset ${id}.`);
  const signed2 = w.signed.length;
  await page.getByTestId("dp-ask").click();
  await expect(page.getByTestId("dp-status")).toContainText('Not sent: "Bad Field" is not a field name');
  expect(w.signed.length).toBe(signed2);
  await page.getByTestId("dp-field").fill("hba1c_mmol_mol");
  const before2 = BigInt((await c.getBalance(vault, "ubhive")).amount);
  await page.getByTestId("dp-ask").click();
  await expect(page.getByTestId("dp-status")).toHaveAttribute("data-state", "included");
  expect(BigInt((await c.getBalance(vault, "ubhive")).amount) - before2).toBe(334n);
  const again = (await c.queryContractSmart(vault, { dp_queries: { dataset_id: Number(id) } })).queries.find((x: { status: unknown }) => x.status === "pending");
  await c.execute(admin.address, vault, { submit_answer: { query_id: again.id, answer: { histogram: { counts: ["1", "2.5", "0", "3", "1"] } } } } satisfies VaultMsg, "auto");
  await expect(page.getByTestId("dp-answer")).toContainText("20.0–40.0: 1.00; 40.0–60.0: 2.50");
  // What the page says is left is what the vault says.
  const budget = await c.queryContractSmart(vault, { querier_budget: { dataset_id: Number(id), querier: w.address } });
  expect(budget.remaining).toBe("0.1667");
  await expect(page.getByTestId(`dataset-yours-${id}`)).toHaveText("epsilon 0.1667");

  // A mean at epsilon 0.5: above what this researcher has left, though the dataset has more.
  await page.getByTestId("dp-kind").selectOption("mean");
  await page.getByTestId("dp-epsilon").fill("0.5");
  const signed3 = w.signed.length;
  await page.getByTestId("dp-ask").click();
  await expect(page.getByTestId("dp-status")).toContainText(`Not sent: you may spend only epsilon 0.1667 more of dataset ${id}`);
  expect(w.signed.length).toBe(signed3);
  await axe(page, "research-data");
  await shot(page, "research-data");

  await page.setViewportSize({ width: 390, height: 844 });
  await open(page, "research-data");
  await expect.poll(() => overflowing(page), { message: "elements wider than the phone's screen" }).toEqual([]);
  await axe(page, "research-data-phone");
});
