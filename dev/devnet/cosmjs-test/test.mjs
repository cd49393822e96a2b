// CosmJS against the devnet, with no devnet-specific code: connect, query a balance, upload the
// cw20 artifact, instantiate, execute a transfer, smart-query it, send a bank transfer.
// Usage: node test.mjs <path to bithive-devnet binary> <path to artifacts dir>
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";

const [devnetBin, artifacts] = process.argv.slice(2);
// A throwaway test mnemonic (never holds anything of value).
const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: "bithive" });
const [alice] = await wallet.getAccounts();
const [{ address: bob }] = await (await DirectSecp256k1HdWallet.generate(12, { prefix: "bithive" })).getAccounts();

const devnet = spawn(
  devnetBin,
  ["--rpc", "127.0.0.1:0", "--block-time-ms", "200", "--chain-id", "bithive-cosmjs-1",
   "--genesis-account", `${alice.address}=1000000000000ubhive`],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const rpc = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("devnet did not start")), 60000);
  createInterface({ input: devnet.stdout }).on("line", (line) => {
    const m = line.match(/^rpc: (http:\/\/\S+)/);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
  devnet.on("exit", (code) => reject(new Error(`devnet exited with ${code}`)));
});

try {
  const client = await SigningCosmWasmClient.connectWithSigner(rpc, wallet, {
    gasPrice: GasPrice.fromString("0.025ubhive"),
  });
  assert.equal(await client.getChainId(), "bithive-cosmjs-1");
  const bal = await client.getBalance(alice.address, "ubhive");
  assert.equal(bal.amount, "1000000000000");
  console.log("connected; balance", bal.amount);

  const wasm = readFileSync(`${artifacts}/bithive_token.wasm`);
  const upload = await client.upload(alice.address, wasm, "auto");
  console.log("uploaded code", upload.codeId, "gas", upload.gasUsed);
  assert.ok(upload.codeId >= 1);

  const init = {
    name: "BitSpark Token", symbol: "BTK", decimals: 6,
    initial_balances: [{ address: alice.address, amount: "1000000" }],
    owner: null, cap: null, minters: [], marketing: null,
  };
  const inst = await client.instantiate(alice.address, upload.codeId, init, "btk", "auto", {
    admin: alice.address,
  });
  console.log("instantiated", inst.contractAddress);

  const exec = await client.execute(
    alice.address, inst.contractAddress,
    { transfer: { recipient: bob, amount: "250" } }, "auto",
  );
  const wasmEvent = exec.events.find((e) => e.type === "wasm");
  assert.ok(wasmEvent, "wasm event");
  console.log("executed in tx", exec.transactionHash, "height", exec.height);

  const q = await client.queryContractSmart(inst.contractAddress, { balance: { address: bob } });
  assert.equal(q.balance, "250");
  const contract = await client.getContract(inst.contractAddress);
  assert.equal(contract.codeId, upload.codeId);
  assert.equal(contract.admin, alice.address);

  const sent = await client.sendTokens(alice.address, bob, [{ denom: "ubhive", amount: "777" }], "auto");
  assert.equal(sent.code, 0);
  assert.equal((await client.getBalance(bob, "ubhive")).amount, "777");
  const tx = await client.getTx(sent.transactionHash);
  assert.equal(tx.height, sent.height);
  console.log("cosmjs: OK");
} finally {
  devnet.kill("SIGTERM");
}
