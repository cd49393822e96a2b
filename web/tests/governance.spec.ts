// The Governance screen (issue #44) on a second deployment of global setup's devnet, made by
// `bithive deploy --dao` with two members: the test wallet (weight 2) and a key in the keyring
// (weight 1); a proposal passes with 60 % of the weight. The keyring member proposes with
// `bithive gov propose` (a staking parameter) and, straight through the pre-propose module, a
// call outside the deployment. The page shows both with status, tally, threshold and time left,
// their actions in `bithive gov show`'s words and the objection; the wallet votes yes and
// executes the first (checked on chain), cannot vote yes on the second and votes no; an account
// that is not a member sees no vote buttons. axe at desktop and phone width.
import { test, expect, type Page } from "@playwright/test";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { injectWallet } from "./wallet";
import { axe, connect, open, overflowing, shot } from "./helpers";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const MEMBER_KEY = "gov-member";

let web: ChildProcess | undefined;
let url = "";
let deploymentFile = "";
let dep: { contracts: Record<string, string> };
let outsideProposal = 0;
let unreadableProposal = 0;
let proposalModule = "";
let prePropose = "";
let paramProposal = 0;
let member: SigningCosmWasmClient;
let memberAddr = "";

/** Runs the built `bithive`; asynchronously, so that the event loop (and undici's keep-alive
 * timers) runs meanwhile: a blocked loop would reuse a socket the devnet closed as idle. */
async function bithive(args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)(process.env.BITHIVE_BIN!, args, { encoding: "utf8", cwd: ROOT })).stdout;
  } catch (e: any) {
    throw new Error(`bithive ${args.join(" ")}: ${e.stdout ?? ""}\n${e.stderr ?? e.message}`);
  }
}

function serve(deployment: string): Promise<[ChildProcess, string]> {
  const child = spawn(process.env.BITHIVE_BIN!, ["web", "--listen", "127.0.0.1:0", "--rpc", process.env.BITHIVE_RPC!,
    "--deployment", deployment, "--dist", path.join(ROOT, "web", "dist")], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bithive web did not start")), 60_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = line.match(/^web: (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve([child, m[1].replace(/\/$/, "")]);
      }
    });
    child.on("exit", (code) => reject(new Error(`bithive web exited with ${code}`)));
  });
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  const rpc = process.env.BITHIVE_RPC!, keyring = process.env.BITHIVE_KEYRING!;
  const dir = mkdtempSync(path.join(tmpdir(), "bithive-web-gov-"));
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_USER_MNEMONIC!, { prefix: "bithive" });
  const [w] = await wallet.getAccounts();
  const m = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
  [{ address: memberAddr }] = await m.getAccounts();
  writeFileSync(path.join(dir, "member-mnemonic"), m.mnemonic, { mode: 0o600 });
  await bithive(["keys", "add", MEMBER_KEY, "--mnemonic-file", path.join(dir, "member-mnemonic"), "--keyring", keyring]);
  // The member pays its fees in the native coin.
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(process.env.BITHIVE_DEPLOYER_MNEMONIC!, { prefix: "bithive" });
  const [d] = await deployer.getAccounts();
  const funder = await SigningCosmWasmClient.connectWithSigner(rpc, deployer, { gasPrice: GasPrice.fromString("0.025ubhive") });
  await funder.sendTokens(d.address, memberAddr, [{ denom: "ubhive", amount: "20000000" }], "auto");

  const daoToml = path.join(dir, "dao.toml");
  writeFileSync(daoToml, [
    'name = "Web test DAO"',
    'description = "Governs the web test deployment"',
    'pass_percent = "0.6"',
    "voting_period_seconds = 3600",
    "[[members]]", `addr = "${w.address}"`, "weight = 2",
    "[[members]]", `addr = "${memberAddr}"`, "weight = 1",
  ].join("\n") + "\n");
  deploymentFile = path.join(dir, "deployment.json");
  await bithive(["deploy", "--rpc", rpc, "--chain-id", process.env.BITHIVE_CHAIN_ID!, "--key", "deployer", "--keyring", keyring,
    "--out", deploymentFile, "--rest", process.env.BITHIVE_REST!, "--dao", daoToml]);
  dep = JSON.parse(readFileSync(deploymentFile, "utf8"));
  expect(dep.contracts.dao, "deployed with a DAO").toBeTruthy();

  // A typed action through the command line.
  const out = await bithive(["gov", "propose", "--deployment", deploymentFile, "--rpc", rpc, "--key", MEMBER_KEY, "--keyring", keyring,
    "--json", "--title", "Raise the fraud slash to 25 %", "set-param", "--contract", "staking", "--param", "fraud_slash", "--value", "0.25"]);
  paramProposal = JSON.parse(out).proposal_id;

  // A call outside the deployment (global setup's staking), which the command line refuses to
  // build: straight through the DAO's pre-propose module, as any client could.
  member = await SigningCosmWasmClient.connectWithSigner(rpc, m, { gasPrice: GasPrice.fromString("0.025ubhive") });
  proposalModule = (await member.queryContractSmart(dep.contracts.dao, { active_proposal_modules: {} }))
    .find((m: { status: string }) => m.status === "enabled").address;
  const policy = await member.queryContractSmart(proposalModule, { proposal_creation_policy: {} });
  prePropose = policy.module.addr;
  const outside = JSON.parse(readFileSync(process.env.BITHIVE_DEPLOYMENT!, "utf8")).contracts.staking;
  outsideProposal = await propose("Harmless upkeep", "trust me",
    [{ wasm: { execute: { contract_addr: outside, msg: toBase64(toUtf8(JSON.stringify({ update_config: {} }))), funds: [] } } }]);
  // A message this client's cosmwasm-std cannot read (DAO DAO 1.5's form of a gov vote): shown
  // as it is, with an objection, and the other proposals still shown.
  unreadableProposal = await propose("Vote on the chain's proposal 1", "a gov vote", [{ gov: { vote: { proposal_id: 1, vote: "yes" } } }]);
  [web, url] = await serve(deploymentFile);
});

test.afterAll(() => {
  if (web && web.exitCode === null) web.kill("SIGTERM");
});

const card = (page: Page, id: number) => page.getByTestId(`proposal-${id}`);

/** The keyring member proposes `msgs` straight through the pre-propose module, as any client
 * could; returns the proposal's id. */
async function propose(title: string, description: string, msgs: unknown[]): Promise<number> {
  const r = await member.execute(memberAddr, prePropose, { propose: { msg: { propose: { title, description, msgs, vote: null } } } }, "auto");
  return Number(r.events.flatMap((e) => e.attributes).find((a) => a.key === "proposal_id")!.value);
}

test("governance: proposals with status, tally, time left and their actions in plain words", async ({ page }) => {
  await open(page, "governance", url);
  await expect(page.getByTestId("dao-intro")).toContainText("Web test DAO");
  await expect(page.getByTestId("dao-intro")).toContainText("Connect your wallet to vote");
  const p = card(page, paramProposal);
  await expect(p).toContainText("Raise the fraud slash to 25 %");
  await expect(page.getByTestId(`proposal-${paramProposal}-state`)).toHaveText("Open for votes");
  await expect(page.getByTestId(`proposal-${paramProposal}-tally`)).toContainText("yes 0 (0 %), no 0 (0 %), abstain 0 (0 %) of 3");
  await expect(page.getByTestId(`proposal-${paramProposal}-tally`)).toContainText("passes when yes reaches 60 % of the voting weight that did not abstain");
  await expect(page.getByTestId(`proposal-${paramProposal}-time`)).toContainText(/^\d+ (min|h \d+ min) left \(ends \d{4}-/);
  await expect(page.getByTestId("proposal-count")).toHaveText("All 3 proposals, newest first.");
  // `bithive gov show`'s words, from the same Rust code.
  const show = await bithive(["gov", "show", String(paramProposal), "--deployment", deploymentFile, "--rpc", process.env.BITHIVE_RPC!, "--json"]);
  const words: string = JSON.parse(show).explained[0].words;
  expect(words).toContain("fraud_slash");
  await expect(page.getByTestId(`proposal-${paramProposal}-actions`)).toHaveText(words);
  await expect(page.getByTestId(`proposal-${paramProposal}-objection`)).toHaveCount(0);
  // The call outside the deployment is flagged.
  await expect(page.getByTestId(`proposal-${outsideProposal}-actions`)).toContainText("is not a contract of this deployment");
  await expect(page.getByTestId(`proposal-${outsideProposal}-objection`)).toBeVisible();
  await expect(page.getByTestId(`proposal-${unreadableProposal}-actions`)).toContainText("a message this client cannot read");
  await expect(page.getByTestId(`proposal-${unreadableProposal}-objection`)).toBeVisible();
  await axe(page, "governance");
  await shot(page, "governance");
});

test("governance: a member votes and executes through the wallet; the chain changes", async ({ page }) => {
  const w = await injectWallet(page, process.env.BITHIVE_USER_MNEMONIC!);
  await open(page, "governance", url);
  await connect(page, w);
  await expect(page.getByTestId("dao-intro")).toContainText("You are a member with voting weight 2");
  // Yes is refused on the proposals the client objects to, with the reason linked; no is not.
  const before0 = w.signed.length;
  for (const id of [outsideProposal, unreadableProposal]) {
    const yes = page.getByTestId(`vote-yes-${id}`);
    await expect(yes).toHaveAttribute("aria-disabled", "true");
    await expect(yes).toHaveAttribute("aria-describedby", `objections-${id}`);
    // Still in the tab order (aria-disabled, not disabled): a keyboard user reaches it and hears why.
    await yes.focus();
    await expect(yes).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.getByTestId(`proposal-${id}-status`)).toContainText("Not sent: your client objects");
  }
  expect(w.signed.length, "nothing signed for a refused yes").toBe(before0);
  await page.getByTestId(`vote-no-${outsideProposal}`).click();
  await expect(page.getByTestId("governance-notice")).toContainText(`Proposal ${outsideProposal}: you voted no. Included in block`);
  await expect(page.locator(`#proposal-${outsideProposal}-title`)).toBeFocused();
  await expect(page.getByTestId(`proposal-${outsideProposal}-state`)).toHaveText("Rejected");

  const signed = w.signed.length;
  await page.getByTestId(`vote-yes-${paramProposal}`).click();
  await expect(page.getByTestId("governance-notice")).toContainText(`Proposal ${paramProposal}: you voted yes. Included in block`);
  expect(w.signed.length).toBe(signed + 1);
  await expect(page.getByTestId(`proposal-${paramProposal}-state`)).toHaveText("Passed: may be executed");
  await expect(page.getByTestId(`proposal-${paramProposal}-tally`)).toContainText("yes 2 (66.7 %)");
  const before = await member.queryContractSmart(dep.contracts.staking, { config: {} });
  expect(before.fraud_slash).not.toBe("0.25");
  await page.getByTestId(`execute-${paramProposal}`).click();
  await expect(page.getByTestId(`proposal-${paramProposal}-state`)).toHaveText("Executed");
  const after = await member.queryContractSmart(dep.contracts.staking, { config: {} });
  expect(after.fraud_slash).toBe("0.25");
  await expect(page.getByTestId("governance-notice")).toContainText(`Proposal ${paramProposal}: executed. Included in block`);
  const onChain = await member.queryContractSmart(proposalModule, { proposal: { proposal_id: paramProposal } });
  expect(onChain.proposal.status).toBe("executed");
  await axe(page, "governance-member");
});

test("governance: an account that is not a member reads but cannot vote; phone width", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  // The node's account (global setup) is not a member of this DAO; a fresh proposal is open.
  const out = await bithive(["gov", "propose", "--deployment", deploymentFile, "--rpc", process.env.BITHIVE_RPC!, "--key", MEMBER_KEY,
    "--keyring", process.env.BITHIVE_KEYRING!, "--json", "--title", "Link the model registry", "link-registry"]);
  const id: number = JSON.parse(out).proposal_id;
  const w = await injectWallet(page, process.env.BITHIVE_NODE_MNEMONIC!);
  await open(page, "governance", url);
  await connect(page, w);
  await expect(page.getByTestId("dao-intro")).toContainText("not a member");
  await expect(page.getByTestId(`proposal-${id}-state`)).toHaveText("Open for votes");
  await expect(page.getByTestId(`vote-yes-${id}`)).toHaveCount(0);
  await expect(card(page, id)).toContainText("no voting weight");
  await expect.poll(() => overflowing(page), { message: "elements wider than the phone's screen" }).toEqual([]);
  await axe(page, "governance-phone");
  await shot(page, "governance-phone");
});

test("governance: proposals a page at a time, the older ones on demand", async ({ page }) => {
  // Twenty more proposals in one transaction: the first ones drop off the first page.
  const before = Number(await member.queryContractSmart(proposalModule, { proposal_count: {} }));
  await member.executeMultiple(memberAddr, Array.from({ length: 20 }, (_, i) => ({
    contractAddress: prePropose,
    msg: { propose: { msg: { propose: { title: `Batch ${i + 1}`, description: "paging", vote: null, msgs: [] } } } },
  })), "auto");
  const total = before + 20;
  await open(page, "governance", url);
  await expect(page.getByTestId("proposal-count")).toHaveText(`The 20 newest of ${total} proposals.`);
  await expect(card(page, total)).toBeVisible();
  await expect(card(page, paramProposal)).toHaveCount(0);
  await page.getByTestId("older-proposals").click();
  await expect(page.getByTestId("proposal-count")).toHaveText(`All ${total} proposals, newest first.`);
  await expect(card(page, paramProposal)).toContainText("Executed");
  await expect(page.getByTestId("older-proposals")).toHaveCount(0);
});
