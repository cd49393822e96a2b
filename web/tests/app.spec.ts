// The web app in Debian's Chromium against a devnet with a deployment (global-setup.ts), with a
// test wallet injected (wallet.ts). Every flow is checked on chain after the UI says included,
// with a negative case each (wallet rejects, not enough funds, refused by the chain) that must
// change nothing; axe finds no serious or critical violation on any screen. The researcher's
// request against a real matching service is research.spec.ts.
import { test, expect } from "@playwright/test";
import { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { toUtf8 } from "@cosmjs/encoding";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { injectWallet } from "./wallet";
import { TestNode, operatorPop, payloadHash, type AttestationMsg } from "./node";
import { axe, bundleSizes, connect, fmt, open, overflowing, shot, SHOTS, webUrl as URL_ } from "./helpers";
import type { ExecuteMsg as RewardsExecuteMsg } from "../src/contracts/Rewards.types";
import type { ExecuteMsg as StakingExecuteMsg } from "../src/contracts/Staking.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../src/contracts/Token.types";
import type { ExecuteMsg as AttestationExecuteMsg } from "../src/contracts/Attestation.types";
import type { ExecuteMsg as EmissionExecuteMsg } from "../src/contracts/Emission.types";

const dep = () => JSON.parse(readFileSync(process.env.BITHIVE_DEPLOYMENT!, "utf8"));
const figures: Record<string, number | string> = {};
// The asset files the page fetched until its first screen showed chain data.
let firstLoaded: string[] = [];

let chain: CosmWasmClient;
const cw20 = async (token: string, address: string) => (await chain.queryContractSmart(token, { balance: { address } })).balance as string;
const bhive = async (address: string) => (await chain.getBalance(address, "ubhive")).amount;
const fresh = async () => (await (await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" })).getAccounts())[0].address;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  chain = await CosmWasmClient.connect(process.env.BITHIVE_RPC!);
});

test.afterAll(() => {
  // What the first screen loaded (the entry, its stylesheet, the wallet screen's chunks) apart
  // from what the other screens load when opened (their chunks, the browser package's glue and
  // its .wasm).
  const { first, lazyJs, wasm, lazyChunks } = bundleSizes(firstLoaded);
  figures.bundle_bytes = first.bytes;
  figures.bundle_gzip_bytes = first.gzip;
  figures.lazy_js_bytes = lazyJs.bytes;
  figures.lazy_js_gzip_bytes = lazyJs.gzip;
  figures.wasm_bytes = wasm.bytes;
  figures.wasm_gzip_bytes = wasm.gzip;
  figures.lazy_chunks = lazyChunks;
  writeFileSync(path.join(SHOTS, "figures.json"), JSON.stringify(figures, null, 2));
  const kib = (n: number) => (n / 1024).toFixed(0);
  console.log(`figures: bundle ${kib(first.bytes)} KiB, gzipped ${kib(first.gzip)} KiB (first screen); ` +
    `loaded when another screen opens: ${lazyChunks} chunks, ${kib(lazyJs.bytes)} KiB JS, gzipped ${kib(lazyJs.gzip)} KiB, and the browser package's ${kib(wasm.bytes)} KiB wasm, gzipped ${kib(wasm.gzip)} KiB; ` +
    `first contentful paint ${figures.fcp_ms} ms, first screen with chain data ${figures.ready_ms} ms`);
});

test("wallet: connects, suggests the chain, shows the balances the chain holds", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "wallet");
  const timing = await page.evaluate(() => ({
    fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1,
    ready: Number(document.body.dataset.readyMs),
    assets: performance
      .getEntriesByType("resource")
      .filter((e) => e.startTime <= Number(document.body.dataset.readyMs))
      .map((e) => new URL(e.name).pathname)
      .filter((p) => p.startsWith("/assets/")),
  }));
  firstLoaded = timing.assets;
  figures.fcp_ms = Math.round(timing.fcp);
  figures.ready_ms = timing.ready;
  await expect(page.getByTestId("need-wallet")).toBeVisible();
  await connect(page, w);
  const d = dep();
  const info = w.suggested[0] as any;
  // Exactly the ChainInfo `bithive deploy` wrote beside deployment.json, whose REST API answers.
  const written = JSON.parse(readFileSync(path.join(path.dirname(process.env.BITHIVE_DEPLOYMENT!), "keplr-chain-info.json"), "utf8"));
  expect(info).toEqual(written);
  expect(info.rest.replace(/\/$/, "")).toBe(process.env.BITHIVE_REST!.replace(/\/$/, ""));
  const nodeInfo = await (await fetch(`${info.rest.replace(/\/$/, "")}/cosmos/base/tendermint/v1beta1/node_info`)).json();
  expect(nodeInfo.default_node_info.network).toBe(d.chain_id);
  expect(info.chainId).toBe(d.chain_id);
  expect(info.features).toContain("cosmwasm");
  // Keplr's own form for a cw20 it adds: `cw20:<address>:<token name>` (packages/wallet-files).
  expect(info.currencies.map((c: any) => [c.coinDenom, c.coinMinimalDenom])).toEqual([
    ["BHIVE", "ubhive"],
    ["BTT", `cw20:${d.contracts.btt}:BitHive Token`],
    ["BTK", `cw20:${d.contracts.btk}:BitSpark Token`],
  ]);
  expect(w.calls.slice(0, 2)).toEqual(["suggest", "enable"]);
  await expect(page.getByTestId("balance-BHIVE")).toHaveText(fmt(await bhive(w.address)));
  await expect(page.getByTestId("balance-BTT")).toHaveText(fmt(await cw20(d.contracts.btt, w.address)));
  await expect(page.getByTestId("balance-BTK")).toHaveText(fmt(await cw20(d.contracts.btk, w.address)));
  await axe(page, "wallet");
});

test("wallet: switching accounts in the wallet switches the app's account; nothing is signed for the one left", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "wallet");
  await connect(page, w);
  const first = w.address;
  await expect(page.getByTestId("account")).toHaveAttribute("title", first);
  await w.switchTo(process.env.BITHIVE_NODE_MNEMONIC!);
  expect(w.address).not.toBe(first);
  await expect(page.getByTestId("account")).toHaveAttribute("title", w.address);
  await expect(page.getByTestId("balance-BHIVE")).toHaveText(fmt(await bhive(w.address)));
  await expect(page.getByTestId("connect")).toBeHidden();
  // A wallet that no longer answers (locked): the session ends and the page says so.
  await page.evaluate(() => { (window as any).keplr.getKey = async () => { throw new Error("Keplr is locked"); }; });
  await page.evaluate(() => window.dispatchEvent(new Event("keplr_keystorechange")));
  await expect(page.getByTestId("account")).toContainText("The wallet's account changed and could not be read (Keplr is locked): connect again.");
  await expect(page.getByTestId("connect")).toBeVisible();
  await expect(page.getByTestId("need-wallet")).toBeVisible();
  await axe(page, "wallet after the account was lost");
});

test("wallet: sends BHIVE and BTT, each checked on chain and in the history", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  const d = dep();
  await open(page, "wallet");
  await connect(page, w);
  const to = await fresh();
  await page.getByTestId("send-to").fill(to);
  await page.getByTestId("send-amount").fill("1.5");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-status")).toHaveAttribute("data-state", "included");
  expect(await bhive(to)).toBe("1500000");

  const bttBefore = BigInt(await cw20(d.contracts.btt, w.address));
  await page.getByLabel("Asset").selectOption("BTT");
  await page.getByTestId("send-to").fill(to);
  await page.getByTestId("send-amount").fill("2.25");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-status")).toHaveAttribute("data-state", "included");
  expect(await cw20(d.contracts.btt, to)).toBe("2250000");
  expect(BigInt(await cw20(d.contracts.btt, w.address))).toBe(bttBefore - 2_250_000n);
  await expect(page.getByTestId("balance-BTT")).toHaveText(fmt((bttBefore - 2_250_000n).toString()));
  await expect(page.getByTestId("history")).toContainText("transfer 2.25 BTT");
  await expect(page.getByTestId("history")).toContainText(`send 1.5 BHIVE to ${to.slice(0, 12)}`);
  await shot(page, "wallet");
  await axe(page, "wallet after sends");
});

test("wallet: a rejected signature, too little balance and a bad address send nothing", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  const d = dep();
  await open(page, "wallet");
  await connect(page, w);
  const to = await fresh();
  const seq = (await chain.getSequence(w.address)).sequence;
  const before = { bhive: await bhive(w.address), btt: await cw20(d.contracts.btt, w.address) };

  w.mode = "reject";
  await page.getByTestId("send-to").fill(to);
  await page.getByTestId("send-amount").fill("1");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-status")).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("send-status")).toContainText("You rejected the request in your wallet");
  w.mode = "approve";

  // More than the balance: said in tokens, not base units, and nothing is signed.
  const signs = w.calls.filter((c) => c === "signDirect").length;
  await page.getByLabel("Asset").selectOption("BTT");
  await page.getByTestId("send-amount").fill("99999999");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-status")).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("send-status")).toContainText(`Not enough balance: you have ${fmt(before.btt)} BTT and this sends 99,999,999 BTT.`);

  await page.getByLabel("Asset").selectOption("BHIVE");
  await page.getByTestId("send-amount").fill("1000000");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-status")).toContainText(`Not enough funds: you have ${fmt(before.bhive)} BHIVE and this sends 1,000,000 BHIVE`);
  expect(w.calls.filter((c) => c === "signDirect").length).toBe(signs);

  await page.getByTestId("send-to").fill("cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq");
  await page.getByTestId("send-amount").fill("1");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-status")).toContainText("is not an address");
  expect(w.calls.filter((c) => c === "signDirect").length).toBe(signs);
  await shot(page, "wallet-refused");

  expect((await chain.getSequence(w.address)).sequence).toBe(seq);
  expect(await bhive(w.address)).toBe(before.bhive);
  expect(await cw20(d.contracts.btt, w.address)).toBe(before.btt);
  expect(await bhive(to)).toBe("0");
});

test("wallet: a wallet that refuses to connect and a wrong network are explained", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  w.mode = "reject";
  await open(page, "wallet");
  await page.getByTestId("connect").click();
  await expect(page.getByTestId("account")).toContainText("The wallet did not connect");
  await expect(page.getByTestId("connect")).toBeEnabled();

  await page.route("**/deployment.json", async (route) => {
    const body = { ...dep(), chain_id: "some-other-chain-1" };
    await route.fulfill({ json: body });
  });
  await page.reload();
  await expect(page.getByRole("alert")).toContainText('Wrong network: the RPC serves chain "bithive-web-1" but the deployment is for "some-other-chain-1"');
});

test("wallet: a new account gets its first fees from the server's faucet, once; then it sends", async ({ page }) => {
  const newcomer = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
  const [a] = await newcomer.getAccounts();
  const w = await injectWallet(page, newcomer.mnemonic);
  await open(page, "wallet");
  await connect(page, w);
  await expect(page.getByTestId("balance-BHIVE")).toHaveText("0");
  const faucet = page.getByTestId("faucet");
  await expect(faucet).toHaveText("Get 1 BHIVE for fees");
  await faucet.click();
  const status = page.getByTestId("faucet-status");
  await expect(status).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  await expect(status).toContainText("1 BHIVE received in block");
  await expect(page.getByTestId("balance-BHIVE")).toHaveText("1");
  expect(await bhive(a.address)).toBe("1000000");
  // Once per account: the offer is gone; asked again anyway, the faucet refuses and sends nothing.
  await expect(page.getByTestId("faucet")).toHaveCount(0);
  const again = await page.evaluate(async (addr) => {
    const r = await fetch(`/v1/faucet/${addr}`, { method: "POST", headers: { "content-type": "application/json" } });
    return [r.status, await r.text()] as const;
  }, a.address);
  expect(again[0]).toBe(409);
  expect(again[1]).toContain("was served once already");
  expect(await bhive(a.address)).toBe("1000000");
  // A form post (what another site's page could send without asking) is refused.
  const form = await page.evaluate(async (addr) => (await fetch(`/v1/faucet/${addr}`, { method: "POST", body: "x=1", headers: { "content-type": "application/x-www-form-urlencoded" } })).status, await fresh());
  expect(form).toBe(415);
  // Enough for a first transaction of its own.
  const to = await fresh();
  await page.getByTestId("send-to").fill(to);
  await page.getByTestId("send-amount").fill("0.1");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-status")).toHaveAttribute("data-state", "included", { timeout: 60_000 });
  expect(await bhive(to)).toBe("100000");
  await axe(page, "wallet (faucet)");
});

test("network: emission against the halving schedule, supply as on chain", async ({ page }) => {
  const d = dep();
  await open(page, "network");
  const status = await chain.queryContractSmart(d.contracts.emission, { status: {} });
  await expect(page.getByTestId("emission-minted")).toContainText(`${fmt(status.minted)} BTK`);
  await expect(page.getByTestId("emission-chart").locator("polyline")).toHaveCount(1);
  const btt = await chain.queryContractSmart(d.contracts.btt, { token_info: {} });
  const btk = await chain.queryContractSmart(d.contracts.btk, { token_info: {} });
  await expect(page.getByTestId("supply-BTT")).toContainText(fmt(btt.total_supply));
  await expect(page.getByTestId("supply-BTK")).toContainText(fmt(btk.total_supply));
  await shot(page, "network");
  await axe(page, "network");
});

// The node account of global-setup, registered in staking once: it runs the patients' inference
// jobs (the tests run serially in one worker).
let registeredNode: TestNode | undefined;
async function testNode(): Promise<TestNode> {
  if (registeredNode) return registeredNode;
  const d = dep();
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_NODE_MNEMONIC!, { prefix: "bithive" });
  const [acc] = await wallet.getAccounts();
  const client = await SigningCosmWasmClient.connectWithSigner(process.env.BITHIVE_RPC!, wallet, { gasPrice: GasPrice.fromString("0.025ubhive") });
  const node = await TestNode.create(acc.address, client);
  await node.register(d.chain_id, d.contracts.staking);
  registeredNode = node;
  return node;
}

/** The patient test's inference job (the escrow's full id), followed by the researcher test. */
let patientJob: string | undefined;

test.describe("patient", () => {
  let node: TestNode;
  test.beforeAll(async () => {
    node = await testNode();
  });

  test("pays a job in BTT through the escrow and follows it until the attestation lands", async ({ page }) => {
    const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
    const d = dep();
    await open(page, "patient");
    await connect(page, w);
    const before = BigInt(await cw20(d.contracts.btt, w.address));
    const jobId = `web-${Date.now()}`;
    await page.getByTestId("job-id").fill(jobId);
    await page.getByTestId("job-amount").fill("5");
    await page.getByTestId("job-node").fill(node.address);
    await page.getByTestId("job-submit").click();
    await expect(page.getByTestId("job-status-tx")).toHaveAttribute("data-state", "included");
    const full = `${w.address}/${jobId}`;
    patientJob = full;
    const job = await chain.queryContractSmart(d.contracts.payfi_escrow, { job: { job_id: full } });
    expect(job.amount).toBe("5000000");
    expect(job.status).toBe("open");
    expect(job.node).toBe(node.address);
    expect(BigInt(await cw20(d.contracts.btt, w.address))).toBe(before - 5_000_000n);
    await expect(page.getByTestId("job-status")).toContainText("open: waiting for node");
    await axe(page, "patient");

    const block = await chain.getBlock();
    const issued = Math.floor(new Date(block.header.time).getTime() / 1000);
    const { resultHash } = await node.attestInference(d.chain_id, d.contracts.payfi_escrow, d.contracts.attestation, full, toUtf8('{"label":"benign","p":0.93}'), issued);
    await expect(page.getByTestId("result-hash")).toHaveText(resultHash);
    await expect(page.getByTestId("attestor")).toContainText(node.address);
    await expect(page.getByTestId("job-status")).toContainText(`attested by ${node.address}`);
    const acc = await chain.queryContractSmart(d.contracts.attestation, { attestation: { job_id: full, kind: "inference", contract: d.contracts.payfi_escrow, chain_id: d.chain_id } });
    expect(acc.attestation.result_hash).toBe(resultHash);
    expect((await chain.queryContractSmart(d.contracts.payfi_escrow, { job: { job_id: full } })).status.reported.node).toBe(node.address);
    await shot(page, "patient");

    await page.goto(`${URL_()}/#network`);
    await expect(page.locator("body[data-ready=true]")).toHaveCount(1);
    await expect(page.getByTestId("recent-jobs")).toContainText("bc_logreg");
    // The amount in its own asset, with its unit.
    await expect(page.getByTestId("recent-jobs")).toContainText("5 BTT");
    await expect(page.getByTestId("recent-attestations")).toContainText("inference");
    await shot(page, "network-activity");
  });

  test("your jobs: the paid job listed; a dispute without a reason signs nothing, one with a reason holds the payment; an expired job's deposit comes back", async ({ page }) => {
    const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
    const d = dep();
    expect(patientJob, "the job of the test before").toBeDefined();
    const clientId = patientJob!.slice(patientJob!.indexOf("/") + 1);
    await open(page, "patient");
    await connect(page, w);
    await expect(page.getByTestId(`my-job-status-${clientId}`)).toContainText(`attested by ${node.address}`);
    await axe(page, "patient with its jobs");

    // No reason: refused in the page, nothing signed.
    const seq = (await chain.getSequence(w.address)).sequence;
    await page.getByTestId(`dispute-${clientId}`).click();
    await expect(page.getByTestId("jobs-tx")).toContainText("Not sent: say what is wrong");
    expect((await chain.getSequence(w.address)).sequence).toBe(seq);
    await page.getByTestId(`dispute-reason-${clientId}`).fill("the label contradicts the biopsy");
    await page.getByTestId(`dispute-${clientId}`).click();
    await expect(page.getByTestId("jobs-tx")).toHaveAttribute("data-state", "included");
    const disputed = await chain.queryContractSmart(d.contracts.payfi_escrow, { job: { job_id: patientJob } });
    expect(disputed.status).toEqual({ disputed: expect.objectContaining({ reason: "the label contradicts the biopsy" }) });
    await expect(page.getByTestId(`my-job-status-${clientId}`)).toContainText("disputed: the label contradicts the biopsy");

    // A job no node answers, paid for an hour: once the chain is past its expiry the deposit
    // comes back from the list.
    const late = `late-${Date.now()}`;
    await page.getByTestId("job-id").fill(late);
    await page.getByTestId("job-amount").fill("3");
    await page.getByTestId("job-hours").fill("1");
    await page.getByTestId("job-submit").click();
    await expect(page.getByTestId("job-status-tx")).toHaveAttribute("data-state", "included");
    await expect(page.getByTestId(`my-job-status-${late}`)).toContainText("open");
    await expect(page.getByTestId(`refund-${late}`)).toHaveCount(0);
    const r = await fetch(process.env.BITHIVE_RPC!, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "bithive_advance_time", params: { seconds: 2 * 3600 } }) });
    expect((await r.json()).error).toBeUndefined();
    const before = BigInt(await cw20(d.contracts.btt, w.address));
    await page.getByTestId("my-jobs-refresh").click();
    await page.getByTestId(`refund-${late}`).click();
    await expect(page.getByTestId("jobs-tx")).toHaveAttribute("data-state", "included");
    expect((await chain.queryContractSmart(d.contracts.payfi_escrow, { job: { job_id: `${w.address}/${late}` } })).status).toBe("refunded");
    expect(BigInt(await cw20(d.contracts.btt, w.address))).toBe(before + 3_000_000n);
    await expect(page.getByTestId(`my-job-status-${late}`)).toContainText("refunded to you");
    await shot(page, "patient-jobs");
  });

  test("a refused job, too little BTT and a forged reward claim change nothing", async ({ page }) => {
    const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
    const d = dep();
    await open(page, "patient");
    await connect(page, w);
    const seq = (await chain.getSequence(w.address)).sequence;
    const before = await cw20(d.contracts.btt, w.address);

    // The chain refuses a model name the escrow does not accept.
    await page.getByTestId("job-model").fill("Not A Model!");
    await page.getByTestId("job-submit").click();
    await expect(page.getByTestId("job-status-tx")).toHaveAttribute("data-state", "failed");
    const refused = await page.getByTestId("job-status-tx").textContent();
    expect(refused).toMatch(/^Failed: /);
    expect(refused).not.toMatch(/execute wasm contract failed|rpc error/);

    await page.getByTestId("job-model").fill("bc_logreg");
    await page.getByTestId("job-amount").fill("5000000");
    await page.getByTestId("job-submit").click();
    await expect(page.getByTestId("job-status-tx")).toContainText("Not enough balance");

    await page.getByTestId("claim-json").fill(JSON.stringify({
      activity: { activity: "checkup", avalue: "1", cfactor: "1", days: 1, hconsistency: "1", padjustment: "1", tmultiplier: "1" },
      activity_id: "forged-1", issued_at: Math.floor(Date.now() / 1000), nonce: "1",
      signature: "00".repeat(64), verifier: "02" + "11".repeat(32),
    }));
    await page.getByTestId("claim-submit").click();
    await expect(page.getByTestId("claim-status")).toHaveAttribute("data-state", "failed");
    await shot(page, "patient-refused");

    expect((await chain.getSequence(w.address)).sequence).toBe(seq);
    expect(await cw20(d.contracts.btt, w.address)).toBe(before);
  });

  test("claims an activity reward its verifier signed with `bithive rewards sign-patient-claim`, once", async ({ page }) => {
    const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
    const d = dep();
    // The institution signs a check-up worth Rpatient = 320 x 1 + 0 x 1 x 1 = 320 BTT (within a
    // check-up's 200-600), dated by the chain's clock: the devnet's is days ahead of this one.
    const issued = Math.floor(new Date((await chain.getBlock()).header.time).getTime() / 1000);
    const activityId = `clinic-7/checkup/${Date.now()}`;
    const signed = spawnSync(process.env.BITHIVE_BIN!, ["rewards", "sign-patient-claim",
      "--key", process.env.BITHIVE_VERIFIER_KEY!, "--keyring", process.env.BITHIVE_KEYRING!,
      "--deployment", process.env.BITHIVE_DEPLOYMENT!, "--patient", w.address, "--activity-id", activityId,
      "--activity", "checkup", "--avalue", "320", "--issued-at", String(issued)], { encoding: "utf8" });
    expect(signed.status, signed.stderr).toBe(0);
    expect(signed.stderr).toContain("320 BTT");
    const claimJson = signed.stdout.trim();
    const claim = JSON.parse(claimJson);
    expect(claim.activity_id).toBe(activityId);
    expect(await chain.queryContractSmart(d.contracts.rewards, { verifier: { pubkey: claim.verifier } })).toEqual({ institution: "Web test clinic", active: true });

    await open(page, "patient");
    await connect(page, w);
    const before = BigInt(await cw20(d.contracts.btt, w.address));
    const pool = await chain.queryContractSmart(d.contracts.rewards, { patient_pool: {} });

    // A claim the same verifier made out to another patient: the contract refuses it for this
    // account, the page says why, nothing changes.
    const other = spawnSync(process.env.BITHIVE_BIN!, ["rewards", "sign-patient-claim",
      "--key", process.env.BITHIVE_VERIFIER_KEY!, "--keyring", process.env.BITHIVE_KEYRING!,
      "--deployment", process.env.BITHIVE_DEPLOYMENT!, "--patient", await fresh(), "--activity-id", `${activityId}-other`,
      "--activity", "checkup", "--avalue", "320", "--issued-at", String(issued)], { encoding: "utf8" });
    expect(other.status, other.stderr).toBe(0);
    const seq0 = (await chain.getSequence(w.address)).sequence;
    await page.getByTestId("claim-json").fill(other.stdout.trim());
    await page.getByTestId("claim-submit").click();
    await expect(page.getByTestId("claim-status")).toHaveAttribute("data-state", "failed");
    await expect(page.getByTestId("claim-status")).toContainText("this claim is not made out to your account");
    expect((await chain.getSequence(w.address)).sequence).toBe(seq0);
    expect(BigInt(await cw20(d.contracts.btt, w.address))).toBe(before);

    await page.getByTestId("claim-json").fill(claimJson);
    await page.getByTestId("claim-submit").click();
    await expect(page.getByTestId("claim-status")).toHaveAttribute("data-state", "included");
    await expect(page.getByTestId("claim-paid")).toHaveText(`320 BTT paid to you for activity "${activityId}".`);
    expect(BigInt(await cw20(d.contracts.btt, w.address))).toBe(before + 320_000_000n);
    const poolAfter = await chain.queryContractSmart(d.contracts.rewards, { patient_pool: {} });
    expect(BigInt(poolAfter.balance)).toBe(BigInt(pool.balance) - 320_000_000n);
    expect(await chain.queryContractSmart(d.contracts.rewards, { activity: { activity_id: activityId } })).not.toBeNull();
    await shot(page, "patient-claim");
    await axe(page, "patient after a claim");

    // The same claim again: refused before the wallet is asked, nothing changes.
    const seq = (await chain.getSequence(w.address)).sequence;
    const signs = w.calls.filter((c) => c === "signDirect").length;
    const after = await cw20(d.contracts.btt, w.address);
    await page.getByTestId("claim-json").fill(claimJson);
    await page.getByTestId("claim-submit").click();
    await expect(page.getByTestId("claim-status")).toHaveAttribute("data-state", "failed");
    await expect(page.getByTestId("claim-status")).toContainText(`activity "${activityId}" was already rewarded`);
    await expect(page.getByTestId("claim-paid")).toHaveText("");
    expect(w.calls.filter((c) => c === "signDirect").length).toBe(signs);
    expect((await chain.getSequence(w.address)).sequence).toBe(seq);
    expect(await cw20(d.contracts.btt, w.address)).toBe(after);
    expect((await chain.queryContractSmart(d.contracts.rewards, { patient_pool: {} })).balance).toBe(poolAfter.balance);

    // Sent anyway (a page that skipped the check): the contract itself refuses it.
    const client = await SigningCosmWasmClient.connectWithSigner(process.env.BITHIVE_RPC!,
      await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_USER_MNEMONIC!, { prefix: "bithive" }), { gasPrice: GasPrice.fromString("0.025ubhive") });
    const again: RewardsExecuteMsg = { claim_patient: { claim } };
    await expect(client.execute(w.address, d.contracts.rewards, again, "auto")).rejects.toThrow(/already rewarded/);
    expect(await cw20(d.contracts.btt, w.address)).toBe(after);
  });
});

// Against plain `bithive web` (no research service): the page says why it cannot make a request
// and still follows one by its id. Requests made, blinded, sealed, paid and matched by a real
// relayer: research.spec.ts.
test("researcher: without a matching service, only follows requests (and refuses a job that is not one)", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  const d = dep();
  expect((await fetch(`${URL_()}/research.json`)).status).toBe(404);
  await open(page, "researcher");
  await expect(page.getByTestId("need-wallet")).toBeVisible();
  // What the page cannot show is said on it.
  await expect(page.getByTestId("research-limits")).toContainText("BitChat");
  await connect(page, w);
  await expect(page.getByTestId("research-unavailable")).toContainText("Research requests need a matching service");
  await expect(page.getByTestId("research-submit")).toHaveCount(0);
  await axe(page, "researcher without a matching service");

  // The patient test's inference job: not a research request.
  expect(patientJob).toBeTruthy();
  expect((await chain.queryContractSmart(d.contracts.payfi_escrow, { job: { job_id: patientJob } })).model).toBe("bc_logreg");
  await page.getByTestId("research-follow-id").fill(patientJob!);
  await page.getByTestId("research-follow-submit").click();
  await expect(page.getByTestId("research-error")).toContainText(`Job ${patientJob} is a job of model bc_logreg, not a research request`);
  // A job that does not exist.
  await page.getByTestId("research-follow-id").fill(`${w.address}/no-such-request`);
  await page.getByTestId("research-follow-submit").click();
  await expect(page.getByTestId("research-error")).toHaveText(`No escrow job ${w.address}/no-such-request on this chain: a request's id is <payer address>/<escrow job id>.`);
  await shot(page, "researcher-no-service");
});

/** The operator key the node operator test registered the test wallet's node with. */
let operatorSecret: Uint8Array | undefined;

test("node operator: registers, pledges BTK, sees the lock and its vesting, claims what vested", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  const d = dep();
  await open(page, "operator");
  await connect(page, w);
  await expect(page.getByTestId("node")).toContainText("not a registered node");
  await expect(page.getByTestId("vesting")).toContainText("50");
  await axe(page, "operator");

  // A proof made for another account is refused by staking: nothing registered.
  const other = await fresh();
  const forged = await operatorPop(d.chain_id, d.contracts.staking, other);
  await page.getByTestId("op-key").fill(forged.key);
  await page.getByTestId("op-sig").fill(forged.signature);
  await page.getByTestId("register-submit").click();
  await expect(page.getByTestId("register-status")).toHaveAttribute("data-state", "failed");
  expect((await chain.queryContractSmart(d.contracts.staking, { pledge_status: { node: w.address } })).registered).toBe(false);

  const pop = await operatorPop(d.chain_id, d.contracts.staking, w.address);
  operatorSecret = pop.priv;
  await page.getByTestId("op-key").fill(pop.key);
  await page.getByTestId("op-sig").fill(pop.signature);
  await page.getByTestId("register-submit").click();
  await expect(page.getByTestId("operator-done")).toContainText("Included in block");
  const registered = await chain.queryContractSmart(d.contracts.staking, { node: { node: w.address } });
  expect(registered.operator_key).toBe(pop.key);
  await expect(page.getByTestId("node")).toContainText(pop.key);

  // Pledge: too much first (refused, nothing bonded), then the tier's 100 BTK.
  const btkBefore = BigInt(await cw20(d.contracts.btk, w.address));
  await page.getByTestId("pledge-amount").fill("5000");
  await page.getByTestId("pledge-submit").click();
  await expect(page.getByTestId("pledge-status")).toContainText("Not enough balance");
  await page.getByTestId("pledge-amount").fill("100");
  await page.getByTestId("pledge-submit").click();
  await expect(page.getByTestId("operator-done")).toContainText("Included in block");
  await expect(page.getByTestId("bonded")).toHaveText("100 BTK");
  const n = await chain.queryContractSmart(d.contracts.staking, { node: { node: w.address } });
  expect(n.bonded).toBe("100000000");
  expect(n.lots.length).toBe(1);
  expect(BigInt(await cw20(d.contracts.btk, w.address))).toBe(btkBefore - 100_000_000n);
  await expect(page.getByTestId("lots")).toContainText("100 BTK");

  // No compute work yet: nothing to claim, so the claim cannot be sent, and says why.
  await expect(page.getByTestId("rewards-claim")).toBeDisabled();
  await expect(page.getByTestId("rewards-claim-why")).toHaveText("Nothing to claim yet: rewards accrue from attested, paid work.");

  // Two days on, two of ten steps vested: claim them.
  const rpc = process.env.BITHIVE_RPC!;
  await fetch(rpc, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "bithive_advance_time", params: { seconds: 2 * 86_400 + 60 } }) });
  await page.reload();
  await expect(page.locator("body[data-ready=true]")).toHaveCount(1);
  await connect(page, w);
  const before = BigInt(await cw20(d.contracts.btk, w.address));
  await page.getByTestId("vesting-claim").click();
  await expect(page.getByTestId("vesting-status")).toHaveAttribute("data-state", "included");
  expect(BigInt(await cw20(d.contracts.btk, w.address))).toBe(before + 10_000_000n);
  await page.reload();
  await expect(page.locator("body[data-ready=true]")).toHaveCount(1);
  await connect(page, w);
  await expect(page.getByTestId("vesting")).toContainText("10");
  await shot(page, "operator");
  await axe(page, "operator after pledge");
});

test("node operator: claims the compute rewards of work a quorum of attestors attested", async ({ page }) => {
  const d = dep();
  const c = d.contracts;
  const rpc = process.env.BITHIVE_RPC!;
  // Many transactions in a row: poll for inclusion at about the devnet's block time, not CosmJS's 3 s.
  const gas = { gasPrice: GasPrice.fromString("0.025ubhive"), broadcastPollIntervalMs: 250 };
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" });
  const [da] = await deployer.getAccounts();
  const gov = await SigningCosmWasmClient.connectWithSigner(rpc, deployer, gas);
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  // The test wallet is the node the operator test registered and pledged for.
  expect((await chain.queryContractSmart(c.staking, { pledge_status: { node: w.address } })).registered).toBe(true);

  // Three attestors, as the demo sets them up: registered nodes with an operator key, compliant,
  // bonded the minimum from the treasury; staking picks the attestor set from bonded nodes.
  const { min_bond } = await chain.queryContractSmart(c.staking, { config: {} });
  const attestors: TestNode[] = [];
  for (let i = 0; i < 3; i++) {
    const wallet = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
    const [acc] = await wallet.getAccounts();
    await gov.sendTokens(da.address, acc.address, [{ denom: "ubhive", amount: "10000000" }], "auto");
    const client = await SigningCosmWasmClient.connectWithSigner(rpc, wallet, gas);
    const a = await TestNode.create(acc.address, client);
    await a.register(d.chain_id, c.staking);
    const grant: TokenExecuteMsg = { transfer: { recipient: acc.address, amount: min_bond } };
    await gov.execute(da.address, c.btk, grant, "auto");
    // staking's cw20 hook (bithive_interface::staking::ReceiveMsg; not in the schema).
    const bond: TokenExecuteMsg = { send: { contract: c.staking, amount: min_bond, msg: Buffer.from(JSON.stringify({ bond: {} })).toString("base64") } };
    await client.execute(acc.address, c.btk, bond, "auto");
    attestors.push(a);
  }
  for (const node of [...attestors.map((a) => a.address), w.address]) {
    const compliance: StakingExecuteMsg = { set_compliance: { node, level: "0.9" } };
    await gov.execute(da.address, c.staking, compliance, "auto");
  }
  const advance: StakingExecuteMsg = { advance_attestor_set: { limit: 200 } };
  await gov.execute(da.address, c.staking, advance, "auto");
  const set = await chain.queryContractSmart(c.staking, { attestor_set: {} });
  for (const a of attestors) expect(set.members.map((m: any) => m.node)).toContain(a.address);

  const now = async () => Math.floor(new Date((await chain.getBlock()).header.time).getTime() / 1000);
  const quorum = async (att: AttestationMsg, payload: Uint8Array) => {
    const signatures = await Promise.all(attestors.map((a) => a.quorumSignature(att)));
    const submit: AttestationExecuteMsg = { submit_quorum: { attestation: att, proof: { secp256k1: { signatures } }, payload: Buffer.from(payload).toString("base64") } };
    return gov.execute(da.address, c.attestation, submit, "auto");
  };
  const passTime = async (seconds: number) => {
    const r = await fetch(rpc, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "bithive_advance_time", params: { seconds } }) });
    expect((await r.json()).error).toBeUndefined();
  };

  // The node serves one paid job on a model the attestors measured (ADR 007): the registry holds
  // the model's run cost, the escrow pays the node and tells rewards the job's units. Nothing
  // else earns the compute pool.
  if (!(await chain.queryContractSmart(c.payfi_escrow, { config: {} })).model_registry) {
    await gov.execute(da.address, c.payfi_escrow, { update_config: { model_registry: c.model_registry } }, "auto");
  }
  const name = `web-model-${Date.now()}`;
  const published = await gov.execute(da.address, c.model_registry, { publish: { name, version: 1, specialty: "oncology",
    input_spec: "float32[1,30] features", output_spec: "float32[1,2] probabilities", onnx_sha256: "ab".repeat(32),
    content_id: "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4", size_bytes: 1234, price: "1000000",
    licence: "Apache-2.0" } }, "auto");
  const modelId = published.events.flatMap((e) => e.attributes).find((a) => a.key === "model_id")!.value;
  const evaluation = toUtf8(JSON.stringify({ accuracy: "0.9", dataset: "cd".repeat(32), samples: 100, run_cost: "1000" }));
  await quorum({ chain_id: d.chain_id, contract: c.model_registry, job_id: `${modelId}#1`, kind: "evaluation",
    result_hash: payloadHash("evaluation", evaluation), commitments: [], issued_at: await now(),
    nonce: String(Date.now()), signer: "00".repeat(33) }, evaluation);
  const jobId = `served-${Date.now()}`;
  const createJob = { create_job: { job_id: jobId, expires_at: String(((await now()) + 86_400) * 1e9), model: name,
    input: Buffer.from("30 features").toString("base64"), node: w.address } };
  await gov.execute(da.address, c.btt, { send: { contract: c.payfi_escrow, amount: "2000000",
    msg: Buffer.from(JSON.stringify(createJob)).toString("base64") } }, "auto");
  const userWallet = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_USER_MNEMONIC!, { prefix: "bithive" });
  const userClient = await SigningCosmWasmClient.connectWithSigner(rpc, userWallet, gas);
  const operator = await TestNode.withKey(w.address, userClient, operatorSecret!);
  await operator.attestInference(d.chain_id, c.payfi_escrow, c.attestation, `${da.address}/${jobId}`, toUtf8('{"label":"benign"}'), await now());
  const { job_dispute_seconds } = await chain.queryContractSmart(c.payfi_escrow, { config: {} });
  await passTime(Number(job_dispute_seconds) + 1);
  await gov.execute(da.address, c.payfi_escrow, { finalize_job: { job_id: `${da.address}/${jobId}` } }, "auto");
  const served = await chain.queryContractSmart(c.rewards, { served: { node: w.address } });
  expect(served.units).toBe("1000");

  // The attestors report what they measured of the node (no units: rewards takes them from the
  // escrow's records) as a quorum.
  const payload = toUtf8(JSON.stringify({ node: w.address,
    measured: { pcompute: "1", penergy: "1", availability: "1", dfactor: "1" } }));
  const att: AttestationMsg = {
    chain_id: d.chain_id, contract: c.rewards, job_id: `work-web-${Date.now()}`, kind: "compute_work",
    result_hash: payloadHash("compute_work", payload), commitments: [], issued_at: await now(),
    nonce: String(Date.now() + 1), signer: "00".repeat(33),
  };
  await quorum(att, payload);

  // The report waits out its challenge window, is finalized, and the epoch closes.
  const held = await chain.queryContractSmart(c.rewards, { pending_works: {} });
  const work = held.find((x: any) => x.node === w.address);
  expect(work).toBeTruthy();
  await passTime(Number(work.challenge_ends) - (await now()) + 1);
  const finalize: RewardsExecuteMsg = { finalize_work: { id: work.id } };
  await gov.execute(da.address, c.rewards, finalize, "auto");
  const rc = await chain.queryContractSmart(c.rewards, { config: {} });
  const t = await now();
  const epochEnds = Number(rc.genesis) + (Math.floor((t - Number(rc.genesis)) / Number(rc.epoch_seconds)) + 1) * Number(rc.epoch_seconds);
  await passTime(epochEnds - t + 1);
  const distribute: EmissionExecuteMsg = { distribute: {} };
  await gov.execute(da.address, c.emission, distribute, "auto");

  const rewards = await chain.queryContractSmart(c.rewards, { node_rewards: { node: w.address } });
  expect(BigInt(rewards.claimable) > 0n).toBe(true);
  await open(page, "operator");
  await connect(page, w);
  await expect(page.getByTestId("rewards")).toContainText(`${fmt(rewards.claimable)} BTK`);
  const btkBefore = BigInt(await cw20(c.btk, w.address));
  const schedulesBefore = (await chain.queryContractSmart(c.vesting, { schedules_by_beneficiary: { beneficiary: w.address, limit: 30 } })).schedules.length;
  await page.getByTestId("rewards-claim").click();
  await expect(page.getByTestId("operator-done")).toContainText("Included in block");
  const after = await chain.queryContractSmart(c.rewards, { node_rewards: { node: w.address } });
  expect(after.claimable).toBe("0");
  expect(after.claimed).toBe(rewards.claimable);
  // 20 % at once, the rest into a vesting schedule (1/180 a day).
  const paidNow = BigInt(await cw20(c.btk, w.address)) - btkBefore;
  expect(paidNow).toBe(BigInt(rewards.claimable) / 5n);
  const schedules = (await chain.queryContractSmart(c.vesting, { schedules_by_beneficiary: { beneficiary: w.address, limit: 30 } })).schedules;
  expect(schedules.length).toBe(schedulesBefore + 1);
  await expect(page.getByTestId("rewards")).toContainText(`Claimed so far${fmt(rewards.claimable)} BTK`);
  await shot(page, "operator-rewards");
  await axe(page, "operator after a rewards claim");
});

test("investor: browses assets by class, sees its shares and claims revenue (a rejected claim changes nothing)", async ({ page }) => {
  const d = dep();
  const c = d.contracts;
  // The deployer (asset admin) mints two assets, fractionalizes one into 1,000 shares with BTT
  // as its revenue asset, gives the test wallet 250 shares and pays 100 BTT of revenue.
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" });
  const [da] = await deployer.getAccounts();
  const gov = await SigningCosmWasmClient.connectWithSigner(process.env.BITHIVE_RPC!, deployer, { gasPrice: GasPrice.fromString("0.025ubhive") });
  const mint = (token_id: string, cls: string, uri: string) => gov.execute(da.address, c.asset_nft, { mint: { token_id, owner: da.address, token_uri: null,
    extension: { class: cls, description_uri: uri, content_hash: "01".repeat(32), jurisdictions: [{ code: "US", markers: [] }], certifications: [], device_pubkey: null } } }, "auto");
  await mint("scanner-1", "medical_equipment", "ipfs://scanner-1");
  await mint("gpu-rack-1", "compute_resource", "ipfs://gpu-rack-1");
  const frac = { shares: "1000", share_name: "Scanner shares", share_symbol: "SCAN", decimals: 0,
    reserve_price: { asset: { native: "ubhive" }, amount: "1000000000000" }, revenue_assets: [{ cw20: c.btt }] };
  await gov.execute(da.address, c.asset_nft, { send_nft: { contract: c.fractional, token_id: "scanner-1", msg: Buffer.from(JSON.stringify(frac)).toString("base64") } }, "auto");
  const { vaults } = await chain.queryContractSmart(c.fractional, { vaults: {} });
  const vault = vaults.find((v: any) => v.token_id === "scanner-1");
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await gov.execute(da.address, vault.share_token, { transfer: { recipient: w.address, amount: "250" } }, "auto");
  await gov.execute(da.address, c.btt, { send: { contract: c.fractional, amount: "100000000", msg: Buffer.from(JSON.stringify({ deposit_revenue: { vault_id: vault.id } })).toString("base64") } }, "auto");
  // The admin appoints itself a valuer and values the scanner twice: the median and the chart.
  await gov.execute(da.address, c.asset_nft, { add_valuer: { valuer: da.address } }, "auto");
  for (const value of ["250000", "262500"]) {
    await gov.execute(da.address, c.asset_nft, { submit_valuation: { token_id: "scanner-1", value } }, "auto");
  }

  await open(page, "investor");
  await connect(page, w);
  // The screen renders again once the wallet is connected (claimable revenue needs the address):
  // wait for that render before using its filter, or the filter of the replaced render is used.
  await expect(page.getByTestId("vaults")).toContainText("25 BTT");
  await expect(page.getByTestId("assets")).toContainText("scanner-1");
  await expect(page.getByTestId("assets")).toContainText("gpu-rack-1");
  await page.getByLabel("Asset class").selectOption("compute_resource");
  await expect(page.getByTestId("assets")).not.toContainText("scanner-1");
  await expect(page.getByTestId("assets")).toContainText("gpu-rack-1");
  await page.getByLabel("Asset class").selectOption("");
  await expect(page.getByTestId("asset-valuation-scanner-1")).toHaveText("262500 uusdc (median of 1 fresh valuation)");
  await expect(page.locator('[data-asset="scanner-1"] [data-testid=valuation-chart]')).toContainText("2 valuations from 250000 to 262500 uusdc, latest 262500 uusdc");
  await expect(page.locator('[data-asset="scanner-1"] [data-testid=valuation-chart] polyline')).toHaveCount(1);
  await expect(page.getByTestId("asset-valuation-gpu-rack-1")).toHaveText("none yet (0 fresh of the 1 needed)");
  await axe(page, "investor");

  // The reserve (1,000,000 BHIVE) is more than the wallet holds: refused, nothing changes.
  await page.getByTestId(`buyout-vault-${vault.id}`).click();
  await expect(page.getByTestId("claim-revenue-status")).toContainText("Not enough funds");
  expect((await chain.queryContractSmart(c.fractional, { vault: { vault_id: vault.id } })).status).toBe("active");

  const before = BigInt(await cw20(c.btt, w.address));
  w.mode = "reject";
  await page.getByTestId(`claim-vault-${vault.id}`).click();
  await expect(page.getByTestId("claim-revenue-status")).toContainText("You rejected");
  expect(BigInt(await cw20(c.btt, w.address))).toBe(before);
  w.mode = "approve";
  await page.getByTestId(`claim-vault-${vault.id}`).click();
  await expect(page.getByTestId("claim-revenue-status")).toHaveAttribute("data-state", "included");
  await expect(page.getByTestId(`vault-claimable-${vault.id}`)).toHaveText("0 (claimed)");
  await expect(page.getByTestId(`claim-vault-${vault.id}`)).toHaveCount(0);
  expect(BigInt(await cw20(c.btt, w.address))).toBe(before + 25_000_000n);
  expect((await chain.queryContractSmart(c.fractional, { claimable: { vault_id: vault.id, holder: w.address } })).claimable.every(([, n]: [unknown, string]) => n === "0")).toBe(true);
  await page.getByLabel("Asset class").selectOption("");
  await shot(page, "investor");
});

test("every screen fits a phone (390 px) with a wallet connected; the wallet's address copies in one click", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.setViewportSize({ width: 390, height: 844 });
  await open(page, "wallet");
  await connect(page, w);
  await page.getByTestId("copy-address").click();
  await expect(page.getByTestId("copy-status")).toHaveText(" Copied.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(w.address);
  for (const screen of ["wallet", "network", "models", "patient", "payfi", "researcher", "research-data", "operator", "investor", "issuer"]) {
    // Same document, another hash: the wallet stays connected and the screen draws again.
    await page.goto(`${URL_()}/#${screen}`);
    await expect(page.getByTestId(`screen-${screen}`)).toBeVisible();
    await expect(page.locator("main")).not.toHaveAttribute("aria-busy", "true");
    // Drawn with chain data for the connected account, not an error or a "connect" note.
    await expect(page.locator("main [role=alert]")).toHaveCount(0);
    await expect(page.getByTestId("need-wallet")).toHaveCount(0);
    await expect.poll(() => overflowing(page), { message: `${screen}: elements wider than the phone's screen` }).toEqual([]);
  }
  await shot(page, "investor-phone");
});
