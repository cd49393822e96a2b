// The Models screen (issue #45) on global setup's deployment: an institute's account publishes
// two versions of one model and a model it then deprecates, straight through the registry
// contract (the CLI's sealing and storing are tested in cli/tests/model.rs). The catalogue shows
// the current version with its price, accuracy (none yet) and jobs, the superseded and the
// deprecated ones apart and saying so; the Patient screen offers the registry's current
// versions for its model field. axe at desktop and phone width, nothing wider than a phone.
import { test, expect } from "@playwright/test";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { readFileSync } from "node:fs";
import type { ExecuteMsg as RegistryMsg, PublishMsg } from "../src/contracts/ModelRegistry.types";
import { injectWallet } from "./wallet";
import { axe, connect, open, overflowing, shot } from "./helpers";

/** A well-formed CIDv1 (the registry checks the form; the CLI test checks a real stored one). */
const CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";

const publish = (name: string, version: number, price: string): RegistryMsg => {
  const p: PublishMsg = {
    name, version, specialty: "cardiology", input_spec: "float32[1,12] tabular row",
    output_spec: 'label in ["low", "high"] with probabilities', onnx_sha256: "ab".repeat(32),
    content_id: CID, size_bytes: 4096, price, licence: "Apache-2.0",
  };
  return { publish: p };
};

test("models: the catalogue shows current, superseded and deprecated versions; the patient is offered the current ones", async ({ page }) => {
  const d = JSON.parse(readFileSync(process.env.BITHIVE_DEPLOYMENT!, "utf8"));
  const registry: string = d.contracts.model_registry;
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" });
  const [inst] = await deployer.getAccounts();
  const c = await SigningCosmWasmClient.connectWithSigner(process.env.BITHIVE_RPC!, deployer, { gasPrice: GasPrice.fromString("0.025ubhive") });
  const name = `cardio_risk_${Date.now() % 100000}`;
  const old = `ecg_screen_${Date.now() % 100000}`;
  await c.executeMultiple(inst.address, [
    { contractAddress: registry, msg: publish(name, 1, "250000") },
    { contractAddress: registry, msg: publish(name, 2, "300000") },
    { contractAddress: registry, msg: publish(old, 1, "100000") },
  ], "auto");
  const { id } = (await c.queryContractSmart(registry, { latest: { name: old } })).model;
  await c.execute(inst.address, registry, { deprecate: { model_id: id } } satisfies RegistryMsg, "auto");

  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "models");
  const current = page.locator(`[data-testid=model][data-model="${name}@2"]`);
  await expect(current).toHaveCount(1);
  await expect(page.getByTestId("models-current").locator(`[data-model="${name}@1"]`)).toHaveCount(0);
  await expect(current.getByTestId("model-status")).toHaveText("current");
  await expect(current.getByTestId("model-price")).toHaveText("0.3 BTT a run, to the owner");
  await expect(current.getByTestId("model-accuracy")).toHaveText("not evaluated yet");
  await expect(current.getByTestId("model-jobs")).toHaveText("0");
  const older = page.getByTestId("models-older");
  await expect(older.locator(`[data-model="${name}@1"]`).getByTestId("model-status")).toContainText("superseded");
  await expect(older.locator(`[data-model="${old}@1"]`).getByTestId("model-status")).toHaveText("deprecated: jobs may not name it");
  await axe(page, "models");
  await shot(page, "models");

  // The patient's model field offers the current versions (the deprecated one is not there).
  await open(page, "patient");
  await connect(page, w);
  // (The list is read from the registry after connecting: polled, as a person would wait for it.
  // Read once right away, it was still empty under CI's load.)
  const offeredNow = () => page.locator("#registry-models option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  await expect.poll(offeredNow, { message: "the patient's list of models" }).toContain(`${name}@2`);
  const offered = await offeredNow();
  expect(offered).not.toContain(`${old}@1`);
  expect(offered).not.toContain(`${name}@1`);

  await page.setViewportSize({ width: 390, height: 844 });
  await open(page, "models");
  await expect.poll(() => overflowing(page), { message: "elements wider than the phone's screen" }).toEqual([]);
  await axe(page, "models-phone");
});
