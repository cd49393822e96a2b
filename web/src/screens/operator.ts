// Node operator: register (operator key with its proof of possession), pledge BTK for a tier,
// see the pledge, locks and rewards, claim them, and follow vesting schedules to their next release.
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { RewardsQueryClient } from "../contracts/Rewards.client";
import type { ExecuteMsg as RewardsExecuteMsg } from "../contracts/Rewards.types";
import { StakingQueryClient } from "../contracts/Staking.client";
import type { ExecuteMsg as StakingExecuteMsg, NodeResponse, Tier } from "../contracts/Staking.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../contracts/Token.types";
import { VestingQueryClient } from "../contracts/Vesting.client";
import type { ExecuteMsg as VestingExecuteMsg, ScheduleResponse } from "../contracts/Vesting.types";
import { Chain, executeMsg, runTx } from "../chain";
import { field, fmt, h, parseAmount, section, select, sessionScreen, table, txStatus } from "../ui";
import type { Screen } from "../screen";

/** The last included transaction's message, shown again after the screen re-reads the chain. */
let flash: Node[] | null = null;

const when = (secs: number) => new Date(secs * 1000).toISOString().replace(".000Z", "Z");

/** Next time a schedule vests more, from its curve (contracts/vesting), or null when done. */
export function nextRelease(s: ScheduleResponse, now: number): number | null {
  if (s.revoked_at || BigInt(s.vested_now) >= BigInt(s.amount)) return null;
  const c = s.curve;
  if ("stepped" in c) {
    const { start, cliff, period, steps } = c.stepped;
    if (now < start) return start;
    const first = start + cliff + period;
    if (now < first) return first;
    const k = Math.floor((now - start - cliff) / period) + 1;
    return k > steps ? null : start + cliff + k * period;
  }
  const p = c.piecewise.points.find((pt) => pt.at > now && BigInt(pt.amount) > BigInt(s.vested_now));
  return p ? p.at : null;
}

async function vestingTable(chain: Chain, me: string, now: number, report: (s: any, t: string) => void): Promise<HTMLElement> {
  const v = new VestingQueryClient(chain.query, chain.d.contracts.vesting);
  const { schedules } = await v.schedulesByBeneficiary({ beneficiary: me, limit: 30 });
  const claimable = schedules.filter((s) => BigInt(s.claimable) > 0n);
  const btn = h("button", { type: "button", "data-testid": "vesting-claim", disabled: claimable.length === 0 }, `Claim ${claimable.length} schedule(s)`);
  btn.addEventListener("click", async () => {
    const msg: VestingExecuteMsg = { claim: { ids: claimable.map((s) => s.id) } };
    btn.disabled = true;
    await runTx(chain, [executeMsg(me, chain.d.contracts.vesting, msg)], "", report);
    btn.disabled = false;
  });
  const asset = (s: ScheduleResponse) => ("cw20" in s.asset ? (s.asset.cw20 === chain.d.contracts.btk ? "BTK" : s.asset.cw20 === chain.d.contracts.btt ? "BTT" : "cw20") : s.asset.native);
  return h(
    "div",
    {},
    table(
      "Your vesting schedules",
      ["Id", "Asset", "Amount", "Vested", "Released", "Claimable", "Next release"],
      schedules.map((s) => {
        const next = nextRelease(s, now);
        return [String(s.id), asset(s), fmt(s.amount), fmt(s.vested_now), fmt(s.released), fmt(s.claimable), next ? when(next) : "fully vested"];
      }),
      "vesting",
    ),
    btn,
  );
}

function pledgeFacts(n: NodeResponse | null, pledgeOk: boolean): HTMLElement {
  if (!n) return h("p", { "data-testid": "node" }, "This account is not a registered node.");
  return h(
    "div",
    {},
    h(
      "dl",
      { class: "facts", "data-testid": "node" },
      h("dt", {}, "Tier and capacity"), h("dd", {}, `${n.tier.toUpperCase()}, ${n.capacity_t} T`),
      h("dt", {}, "Operator key"), h("dd", {}, h("code", {}, n.operator_key)),
      h("dt", {}, "Pledged (bonded)"), h("dd", { "data-testid": "bonded" }, `${fmt(n.bonded)} BTK`),
      h("dt", {}, "Required for the tier"), h("dd", {}, `${fmt(n.required_pledge)} BTK ${pledgeOk ? "(met)" : "(not met: rewards at a reduced rate or none)"}`),
      h("dt", {}, "Unbonding"), h("dd", {}, `${fmt(n.unbonding)} BTK`),
    ),
    table("Pledge lots (locked until)", ["Amount", "Unlocks"], n.lots.map((l) => [`${fmt(l.amount)} BTK`, when(l.unlock_at)]), "lots"),
  );
}

export const operatorScreen: Screen = sessionScreen({
  needWallet: "register a node, pledge BTK and claim rewards",
  async render(chain, s) {
    const c = chain.d.contracts;
    const staking = new StakingQueryClient(chain.query, c.staking);
    const [status, node, rewards, block] = await Promise.all([
      staking.pledgeStatus({ node: s.address }),
      staking.node({ node: s.address }).catch(() => null),
      new RewardsQueryClient(chain.query, c.rewards).nodeRewards({ node: s.address }).catch(() => null),
      chain.query.getBlock(),
    ]);
    const now = Math.floor(new Date(block.header.time).getTime() / 1000);
    const rerender = (el: HTMLElement) => {
      // Its words and its link to the transaction.
      flash = [...el.childNodes].map((n) => n.cloneNode(true));
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    };
    const shown = flash;
    flash = null;

    // Register.
    const [keyF, key] = field("Operator public key (hex, 33 bytes)", { required: true, autocomplete: "off", spellcheck: "false", "data-testid": "op-key" }, "`bithive keys show NAME` prints it");
    const [sigF, sig] = field("Proof of possession (hex, 64 bytes)", { required: true, autocomplete: "off", spellcheck: "false", "data-testid": "op-sig" }, "The operator key's signature binding this account, this staking contract and this chain: `bithive keys pop NAME --chain-id ID --staking ADDR --node YOUR_ADDRESS` prints it");
    const [tierF, tier] = select("Tier", [["t1", "T1 (1–4 T)"], ["t2", "T2"], ["t3", "T3"], ["t4", "T4"]]);
    const [capF, cap] = field("Capacity in T", { required: true, value: "1", inputmode: "numeric", "data-testid": "op-capacity" });
    const [regStatus, regReport] = txStatus("register-status");
    const regForm = h("form", { "aria-label": "Register a node" }, keyF, sigF, tierF, capF, h("button", { type: "submit", "data-testid": "register-submit" }, "Register"), regStatus);
    regForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const hex = /^[0-9a-fA-F]+$/;
      if (!hex.test(key.value.trim()) || key.value.trim().length !== 66) return regReport("failed", "Not sent: the operator key must be 66 hex digits.");
      if (!hex.test(sig.value.trim()) || sig.value.trim().length !== 128) return regReport("failed", "Not sent: the proof must be 128 hex digits.");
      const msg: StakingExecuteMsg = { register_node: { capacity_t: Number(cap.value), tier: tier.value as Tier, operator_key: key.value.trim().toLowerCase(), operator_signature: sig.value.trim().toLowerCase() } };
      if (await runTx(chain, [executeMsg(s.address, c.staking, msg)], "", regReport)) rerender(regStatus);
    });

    // Pledge.
    const [amtF, amt] = field("BTK to pledge", { required: true, inputmode: "decimal", "data-testid": "pledge-amount" }, "Locked for the staking lock period");
    const [pledgeStatus, pledgeReport] = txStatus("pledge-status");
    const pledgeForm = h("form", { "aria-label": "Pledge BTK" }, amtF, h("button", { type: "submit", "data-testid": "pledge-submit" }, "Pledge"), pledgeStatus);
    pledgeForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      let amount: string;
      try {
        amount = parseAmount(amt.value);
      } catch (e) {
        return pledgeReport("failed", `Not sent: ${(e as Error).message}.`);
      }
      // staking's cw20 hook (bithive_interface::staking::ReceiveMsg; not in the schema).
      const hook = { bond: {} };
      const msg: TokenExecuteMsg = { send: { contract: c.staking, amount, msg: toBase64(toUtf8(JSON.stringify(hook))) } };
      if (await runTx(chain, [executeMsg(s.address, c.btk, msg)], "", pledgeReport)) rerender(pledgeStatus);
    });

    // Rewards.
    const [claimStatus, claimReport] = txStatus("rewards-status");
    // Nothing to claim: the button is off and the reason is on the page, tied to it (a claim of
    // zero is refused on chain). Unread rewards are not "nothing".
    const nothing = rewards !== null && BigInt(rewards.claimable) === 0n;
    const why = h(
      "p",
      { id: "rewards-claim-why", class: "empty", "data-testid": "rewards-claim-why" },
      rewards === null ? "Your rewards could not be read; the chain decides when you claim." : nothing ? "Nothing to claim yet: rewards accrue from attested, paid work." : "",
    );
    const claimBtn = h("button", { type: "button", "data-testid": "rewards-claim", disabled: nothing, "aria-describedby": "rewards-claim-why" }, "Claim compute rewards");
    claimBtn.addEventListener("click", async () => {
      const msg: RewardsExecuteMsg = { claim_compute: {} };
      if (await runTx(chain, [executeMsg(s.address, c.rewards, msg)], "", claimReport)) rerender(claimStatus);
    });
    const [vestStatus, vestReport] = txStatus("vesting-status");

    return h(
      "div",
      {},
      shown ? h("p", { class: "tx", role: "status", "data-state": "included", "data-testid": "operator-done" }, ...shown) : null,
      section("Pledge and lock", pledgeFacts(node, status.full_rate), status.registered ? pledgeForm : regForm),
      section(
        "Rewards",
        h("dl", { class: "facts", "data-testid": "rewards" }, h("dt", {}, "Claimable"), h("dd", {}, `${fmt(rewards?.claimable ?? "0")} BTK`), h("dt", {}, "Claimed so far"), h("dd", {}, `${fmt(rewards?.claimed ?? "0")} BTK`)),
        claimBtn,
        why,
        claimStatus,
      ),
      section("Vesting", await vestingTable(chain, s.address, now, vestReport), vestStatus),
    );
  },
});
