// One devnet with a deployment and `bithive web` in front of it, for every test: starts
// `bithive devnet start`, adds the deployer key, runs `bithive deploy` (as cli tests and
// dev/devnet/cosmjs-test do), funds the test wallet with BTT, and serves the app.
// Env in: BITHIVE_BIN (the `bithive` binary). Env out (to the tests): BITHIVE_WEB_URL,
// BITHIVE_RPC, BITHIVE_REST, BITHIVE_CHAIN_ID, BITHIVE_DEPLOYMENT (path), BITHIVE_USER_MNEMONIC,
// BITHIVE_NODE_MNEMONIC, BITHIVE_DEPLOYER_MNEMONIC and BITHIVE_DEPLOYER_MNEMONIC_FILE (the same
// mnemonic in a file, for `bithive demo --funder-mnemonic-file`), BITHIVE_BIN, BITHIVE_KEYRING
// (keyring file) with the key
// BITHIVE_VERIFIER_KEY: a healthcare institution's verifier, registered with the rewards contract
// (whose patient pool holds 2,000 BTT); BITHIVE_STORE_DIR and BITHIVE_STORE_KEY_FILE: the content
// store `bithive web` keeps records in.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import type { ExecuteMsg as RewardsExecuteMsg } from "../src/contracts/Rewards.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../src/contracts/Token.types";

/** The rewards contract's cw20 hook (bithive_interface::rewards::ReceiveMsg; not in the schema). */
type RewardsReceiveMsg = { fund_patient_pool: Record<string, never> };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEPLOYER_MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const CHAIN_ID = "bithive-web-1";
const VERIFIER_KEY = "verifier";

function bin(): string {
  const b = process.env.BITHIVE_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, "target"), "debug", "bithive");
  if (!existsSync(b)) throw new Error(`${b} not found: scripts/lib/workspace-build.sh builds it (cargo build --workspace --bins --tests --examples), or set BITHIVE_BIN`);
  return b;
}

/** Starts `cmd` and resolves with the first stdout match of `re`. */
async function startAndRead(cmd: string, args: string[], re: RegExp, what: string): Promise<[ChildProcess, string]> {
  const [child, [m]] = await startAndReadAll(cmd, args, [re], what);
  return [child, m];
}

/** Starts `cmd` and resolves once stdout has matched every one of `res` (first group of each). */
function startAndReadAll(cmd: string, args: string[], res: RegExp[], what: string): Promise<[ChildProcess, string[]]> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  const found: (string | undefined)[] = res.map(() => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 60_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      res.forEach((re, i) => {
        const m = line.match(re);
        if (m && found[i] === undefined) found[i] = m[1];
      });
      if (found.every((f) => f !== undefined)) {
        clearTimeout(timer);
        resolve([child, found as string[]]);
      }
    });
    child.on("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

export default async function globalSetup() {
  const bithive = bin();
  if (!existsSync(path.join(ROOT, "web", "dist", "index.html"))) throw new Error("web/dist missing: run scripts/build-webapp.sh");
  const dir = mkdtempSync(path.join(tmpdir(), "bithive-web-"));
  const deployer = await DirectSecp256k1HdWallet.fromMnemonic(DEPLOYER_MNEMONIC, { prefix: "bithive" });
  const user = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
  const node = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
  // The faucet's own funded key (`bithive web --faucet-key`), apart from the accounts the tests sign with.
  const faucet = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
  const [d] = await deployer.getAccounts();
  const [f] = await faucet.getAccounts();
  const [u] = await user.getAccounts();
  const [n] = await node.getAccounts();

  const [devnet, [rpc, rest]] = await startAndReadAll(
    bithive,
    ["devnet", "start", "--rpc", "127.0.0.1:0", "--block-time-ms", "200", "--chain-id", CHAIN_ID, "--home", path.join(dir, "devnet"),
      "--genesis-account", `${d.address}=100000000000000ubhive`,
      "--genesis-account", `${u.address}=50000000ubhive`,
      "--genesis-account", `${n.address}=50000000ubhive`,
      "--genesis-account", `${f.address}=10000000000ubhive`],
    [/^rpc: (http:\/\/\S+)/, /^rest: (http:\/\/\S+)/],
    "devnet",
  );
  const children: ChildProcess[] = [devnet];
  const stop = async () => children.forEach((c) => c.kill("SIGTERM"));
  try {
    const keyring = path.join(dir, "keyring.json");
    writeFileSync(path.join(dir, "mnemonic"), DEPLOYER_MNEMONIC, { mode: 0o600 });
    const run = (args: string[]) => {
      const r = spawnSync(bithive, args, { encoding: "utf8", cwd: ROOT });
      if (r.status !== 0) throw new Error(`bithive ${args.join(" ")}: ${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    run(["keys", "add", "deployer", "--mnemonic-file", path.join(dir, "mnemonic"), "--keyring", keyring]);
    writeFileSync(path.join(dir, "faucet-mnemonic"), faucet.mnemonic, { mode: 0o600 });
    run(["keys", "add", "faucet", "--mnemonic-file", path.join(dir, "faucet-mnemonic"), "--keyring", keyring]);
    const deployment = path.join(dir, "deployment.json");
    const t0 = Date.now();
    run(["deploy", "--rpc", rpc, "--chain-id", CHAIN_ID, "--key", "deployer", "--keyring", keyring, "--out", deployment,
      "--rest", rest]);
    console.log(`deployed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const dep = JSON.parse(readFileSync(deployment, "utf8"));

    // The test wallet gets 1,000 BTT from the deployer (who holds the whole supply).
    const gov = await SigningCosmWasmClient.connectWithSigner(rpc, deployer, { gasPrice: GasPrice.fromString("0.025ubhive") });
    await gov.execute(d.address, dep.contracts.btt, { transfer: { recipient: u.address, amount: "1000000000" } }, "auto");

    // BTK exists only through emission: two days on, `distribute` mints and puts the
    // treasury's (the deployer's) shares into vesting (one-month lock, then 10 % a month); two
    // months later the deployer claims what vested and hands the test wallet 1,000 BTK, plus a
    // BTK vesting schedule (10 daily steps) for the node operator screen.
    const advance = async (seconds: number) => {
      const r = await fetch(rpc, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "bithive_advance_time", params: { seconds } }) });
      const j = await r.json();
      if (j.error) throw new Error(`advance time: ${JSON.stringify(j.error)}`);
    };
    const DAY = 86_400;
    await advance(2 * DAY);
    await gov.execute(d.address, dep.contracts.emission, { distribute: {} }, "auto");
    await advance(62 * DAY);
    await gov.execute(d.address, dep.contracts.emission, { distribute: {} }, "auto");
    const { schedules } = await gov.queryContractSmart(dep.contracts.vesting, { schedules_by_beneficiary: { beneficiary: d.address, limit: 30 } });
    const ids = schedules.filter((x: any) => BigInt(x.claimable) > 0n).map((x: any) => x.id);
    if (ids.length === 0) throw new Error(`nothing vested for the deployer: ${JSON.stringify(schedules)}`);
    await gov.execute(d.address, dep.contracts.vesting, { claim: { ids } }, "auto");
    await gov.execute(d.address, dep.contracts.btk, { transfer: { recipient: u.address, amount: "1000000000" } }, "auto");
    const now = Math.floor(new Date((await gov.getBlock()).header.time).getTime() / 1000);
    const create = { create: { schedules: [{ amount: "50000000", beneficiary: u.address, revoker: null,
      curve: { stepped: { start: now, immediate: "0", cliff: 0, period: DAY, steps: 10 } } }] } };
    await gov.execute(d.address, dep.contracts.btk, { send: { contract: dep.contracts.vesting, amount: "50000000",
      msg: Buffer.from(JSON.stringify(create)).toString("base64") } }, "auto");

    // A healthcare institution's verifier key in the keyring (what `bithive rewards
    // sign-patient-claim` signs with), registered by governance (the deployer), and BTT in the
    // patient pool for the claims it confirms.
    const verifier = await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" });
    writeFileSync(path.join(dir, "verifier-mnemonic"), verifier.mnemonic, { mode: 0o600 });
    run(["keys", "add", VERIFIER_KEY, "--mnemonic-file", path.join(dir, "verifier-mnemonic"), "--keyring", keyring]);
    // `keys show`: name, address, compressed public key (hex).
    const verifierKey = run(["keys", "show", VERIFIER_KEY, "--keyring", keyring]).trim().split("\t")[2];
    if (!/^0[23][0-9a-f]{64}$/.test(verifierKey ?? "")) throw new Error(`keys show ${VERIFIER_KEY}: no public key in its output`);
    const setVerifier: RewardsExecuteMsg = { set_verifier: { pubkey: verifierKey, institution: "Web test clinic", active: true } };
    await gov.execute(d.address, dep.contracts.rewards, setVerifier, "auto");
    const fund: RewardsReceiveMsg = { fund_patient_pool: {} };
    const fundPool: TokenExecuteMsg = { send: { contract: dep.contracts.rewards, amount: "2000000000", msg: Buffer.from(JSON.stringify(fund)).toString("base64") } };
    await gov.execute(d.address, dep.contracts.btt, fundPool, "auto");

    // The content store the My records screen keeps sealed files in (and `bithive vault` reads).
    const storeDir = path.join(dir, "store");
    const storeKey = path.join(dir, "store.key");
    writeFileSync(storeKey, randomBytes(32).toString("hex"), { mode: 0o600 });
    const [web, url] = await startAndRead(
      bithive,
      ["web", "--listen", "127.0.0.1:0", "--rpc", rpc, "--deployment", deployment, "--dist", path.join(ROOT, "web", "dist"),
        "--store-dir", storeDir, "--store-key-file", storeKey,
        "--faucet-key", "faucet", "--keyring", keyring, "--faucet-served", path.join(dir, "faucet-served.txt"), "--faucet-per-hour", "3"],
      /^web: (http:\/\/\S+)/,
      "bithive web",
    );
    children.push(web);
    Object.assign(process.env, {
      BITHIVE_WEB_URL: url,
      BITHIVE_RPC: rpc,
      BITHIVE_REST: rest,
      BITHIVE_CHAIN_ID: CHAIN_ID,
      BITHIVE_DEPLOYMENT: deployment,
      BITHIVE_DEPLOYER_MNEMONIC: DEPLOYER_MNEMONIC,
      BITHIVE_DEPLOYER_MNEMONIC_FILE: path.join(dir, "mnemonic"),
      BITHIVE_USER_MNEMONIC: user.mnemonic,
      BITHIVE_NODE_MNEMONIC: node.mnemonic,
      BITHIVE_BIN: bithive,
      BITHIVE_KEYRING: keyring,
      BITHIVE_VERIFIER_KEY: VERIFIER_KEY,
      BITHIVE_STORE_DIR: storeDir,
      BITHIVE_STORE_KEY_FILE: storeKey,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return stop;
}
