// PayFi payment channels in the page (ADR 011): the payer opens a channel with a BTT deposit
// (its wallet's account key is the channel's voucher key) and signs cumulative vouchers with the
// wallet's `signArbitrary`, outside any transaction and for no fee; the payee redeems the highest
// one when it likes, in the page or with `bithive escrow channel redeem`. A voucher's signature is
// checked here before anything is signed, in either form the escrow takes: the wallet's (ADR-36
// of the voucher text) or the CLI's (the raw digest). The channel's number finds it; the payer
// adds to its deposit; the payer or the payee closes it.
import { serializeSignDoc, type StdSignDoc } from "@cosmjs/amino";
import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";
import { fromBase64, fromHex, toBase64, toHex, toUtf8 } from "@cosmjs/encoding";
import type { EncodeObject } from "@cosmjs/proto-signing";
import { PayfiEscrowQueryClient } from "../contracts/PayfiEscrow.client";
import type { Channel, ExecuteMsg as EscrowMsg, VoucherForm } from "../contracts/PayfiEscrow.types";
import type { ExecuteMsg as TokenExecuteMsg } from "../contracts/Token.types";
import { type Chain, chainTime, executeMsg, plain, runTx, type Session } from "../chain";
import { copyButton, cw20Units, field, fmt, h, parseAmount, section, short, txStatus } from "../ui";
import { checkAddress } from "./wallet";

/** Domain of the raw form's message (`payfi_voucher::VOUCHER_DOMAIN`). */
const DOMAIN = "bithive.payfi.voucher.v1";
/** Domain of the text a wallet signs (`payfi_voucher::VOUCHER_TEXT_DOMAIN`): v2 names the payee
 * and the asset, so the wallet's prompt says on its own who is paid in what. */
const TEXT_DOMAIN = "bithive.payfi.voucher.v2";

/** A channel's asset as the voucher text names it (`payfi_voucher::VoucherAsset`). */
function assetLabel(asset: Channel["asset"]): string {
  return "cw20" in asset ? `cw20:${asset.cw20}` : `native:${asset.native}`;
}

/** The text a wallet signs for a voucher of channel `c` (`payfi_voucher::TextVoucher::text`). */
export function voucherText(chainId: string, contract: string, c: Channel, cumulative: bigint): string {
  return `${TEXT_DOMAIN} chain=${chainId} contract=${contract} channel=${c.id} payee=${c.payee} asset=${assetLabel(c.asset)} cumulative=${cumulative}`;
}

/** The digest each form signs: the raw message's (`payfi_voucher::voucher_digest`) and the
 * ADR-36 sign doc's of the text, signed by the payer (`TextVoucher::adr36_digest`). */
function digests(chainId: string, contract: string, c: Channel, cumulative: bigint): [VoucherForm, Uint8Array][] {
  const be = (n: bigint, bytes: number) => {
    const out = new Uint8Array(bytes);
    for (let i = bytes - 1; i >= 0; i--) {
      out[i] = Number(n & 0xffn);
      n >>= 8n;
    }
    return out;
  };
  const parts = [toUtf8(DOMAIN)];
  for (const p of [chainId, contract].map(toUtf8)) parts.push(be(BigInt(p.length), 4), p);
  parts.push(be(BigInt(c.id), 8), be(cumulative, 16));
  const raw = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (raw.set(p, at), at + p.length), 0);
  // ADR-36, as Keplr's makeADR36AminoSignDoc builds it: no chain, no fee, one MsgSignData.
  const adr36: StdSignDoc = {
    chain_id: "",
    account_number: "0",
    sequence: "0",
    fee: { gas: "0", amount: [] },
    memo: "",
    msgs: [{ type: "sign/MsgSignData", value: { signer: c.payer, data: toBase64(toUtf8(voucherText(chainId, contract, c, cumulative))) } }],
  };
  return [["raw", sha256(raw)], ["adr36", sha256(serializeSignDoc(adr36))]];
}

/** The form in which `signature` (64 bytes) is the channel key's voucher for `cumulative`, or
 * null when it is neither. */
async function voucherForm(chain: Chain, c: Channel, cumulative: bigint, signature: Uint8Array): Promise<VoucherForm | null> {
  if (signature.length !== 64) return null;
  const sig = Secp256k1Signature.fromFixedLength(signature);
  const key = fromBase64(c.pubkey);
  for (const [form, digest] of digests(chain.d.chain_id, chain.d.contracts.payfi_escrow, c, cumulative)) {
    if (await Secp256k1.verifySignature(sig, digest, key)) return form;
  }
  return null;
}

/** "Payment channels": open one, and find one by number to sign, redeem or close. */
export function channelsSection(chain: Chain, s: Session): HTMLElement {
  const contract = chain.d.contracts.payfi_escrow;
  const q = new PayfiEscrowQueryClient(chain.query, contract);
  const btt = chain.d.contracts.btt;

  // Open: a BTT deposit through cw20 send with the escrow's open_channel hook.
  const [payeeF, payee] = field("Payee", { required: true, autocomplete: "off", "data-testid": "channel-payee" }, "Who is paid through the channel: a provider or a node.");
  const [depositF, deposit] = field("Deposit (BTT)", { required: true, inputmode: "decimal", "data-testid": "channel-deposit" }, "The most the channel can ever pay; what is not paid comes back when it closes.");
  const [hoursF, hours] = field("Challenge period (hours)", { required: true, inputmode: "decimal", value: "24", "data-testid": "channel-hours" }, "After you ask to close, how long the payee may still redeem: 1 minute to 30 days.");
  const [openSt, openReport] = txStatus("channel-open-status");
  const openBtn = h("button", { type: "submit", "data-testid": "channel-open" }, "Open the channel");
  const openForm = h("form", { "aria-label": "Open a payment channel" }, payeeF, depositF, hoursF, openBtn, openSt);
  openForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let msg: TokenExecuteMsg;
    try {
      const to = checkAddress(chain, payee.value);
      if (to === s.address) throw new Error("a channel pays someone else");
      const amount = parseAmount(deposit.value);
      const secs = Math.round(Number(hours.value) * 3600);
      if (!Number.isFinite(secs) || secs < 60 || secs > 30 * 86_400) throw new Error("the challenge period is 1 minute to 30 days");
      const hook = { open_channel: { payee: to, pubkey: toBase64(s.pubkey), challenge_period_secs: secs } };
      msg = { send: { contract, amount, msg: toBase64(toUtf8(JSON.stringify(hook))) } };
    } catch (e) {
      return openReport("failed", `Not sent: ${plain(e)}.`);
    }
    openBtn.disabled = true;
    const out = await runTx(chain, [executeMsg(s.address, btt, msg)], "", openReport);
    openBtn.disabled = false;
    if (!out) return;
    const id = out.events.flatMap((e) => (e.type === "wasm" ? e.attributes : [])).find((a) => a.key === "channel_id")?.value;
    if (!id) return openReport("included", "The channel is open, but its number was not in the answer: find it in the explorer by this transaction.", out.hash);
    openReport("included", `Channel ${id} is open. Sign vouchers for it below (find it by its number).`, out.hash);
    look.value = id;
    lookForm.requestSubmit();
  });

  // What the last action on the channel shown did, said again once its card is drawn anew.
  let notice: [string, string] | null = null;

  // Find a channel by number: what its payer or payee may do now.
  const [lookF, look] = field("Channel number", { inputmode: "numeric", "data-testid": "channel-lookup" });
  const lookOut = h("div", { "data-testid": "channel-found" });
  const lookForm = h("form", { "aria-label": "Find a payment channel" }, lookF, h("button", { type: "submit" }, "Show"), lookOut);
  lookForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = Number(look.value);
    if (!Number.isInteger(id) || id < 1) {
      notice = null;
      lookOut.replaceChildren(h("p", { class: "error" }, "A channel number is a whole number from 1."));
      return;
    }
    let c: Channel;
    try {
      c = await q.channel({ channelId: id });
    } catch (e) {
      notice = null;
      lookOut.replaceChildren(h("p", { class: "error" }, /not found/.test(plain(e)) ? `There is no channel ${id}.` : `Channel ${id} could not be read: ${plain(e)}`));
      return;
    }
    // Drawn again after an action: this channel, whatever the field says by then.
    const again = () => {
      look.value = String(c.id);
      lookForm.requestSubmit();
    };
    lookOut.replaceChildren(await card(c, again));
  });

  const card = async (c: Channel, redraw: () => void): Promise<HTMLElement> => {
    // The CLI's units (`bithive escrow channel`): a cw20's own decimals, a native denom in base
    // units, so a total typed here means what it means there.
    const [unit, decimals] = "cw20" in c.asset ? await cw20Units(chain, c.asset.cw20) : [c.asset.native, 0];
    const money = (base: string | bigint) => `${fmt(base, decimals)} ${unit}`;
    // A total as both redeem paths read it back (no thousands separators).
    const plainTotal = (base: bigint) => fmt(base, decimals).replace(/,/g, "");
    const now = await chainTime(chain);
    const closesAt = c.close_requested_at ? Number(BigInt(c.close_requested_at) / 1_000_000_000n) + c.challenge_period_secs : null;
    const state = c.closed ? "closed" : closesAt ? `closing: the payee may redeem until ${new Date(closesAt * 1000).toISOString().replace("T", " ").slice(0, 16)} UTC` : "open";
    const [st, report] = txStatus("channel-action-status");
    if (notice) report("included", ...notice);
    notice = null;
    const body: (Node | string)[] = [
      h("h4", {}, `Channel ${c.id}`),
      h("p", {}, `From ${short(c.payer)} to ${short(c.payee)}: deposit ${money(c.deposit)}, redeemed ${money(c.redeemed)} (${money(c.paid_to_payee)} paid, ${money(c.fees_paid)} fee). `, h("span", { "data-testid": `channel-state-${c.id}` }, state), "."),
    ];
    // A transaction on this channel; once included, the card is drawn again saying `done`.
    const submit = async (msg: EncodeObject, done: string) => {
      const out = await runTx(chain, [msg], "", report);
      if (out) {
        notice = [done, out.hash];
        redraw();
      }
    };
    const act = (msg: EscrowMsg, done: string) => submit(executeMsg(s.address, contract, msg), done);
    const me = s.address;
    if (!c.closed && me === c.payer) {
      if (toHex(fromBase64(c.pubkey)) !== toHex(s.pubkey)) {
        body.push(h("p", {}, `This channel's vouchers are signed by key ${toHex(fromBase64(c.pubkey))}, not your wallet's account key: sign them where that key is (\`bithive escrow channel voucher\` with it).`));
      } else {
        const [totalF, total] = field(`Total paid so far (${unit})`, { inputmode: "decimal", "data-testid": "voucher-total" }, "A voucher carries the running total, not this payment alone: the payee is paid what it adds to what was redeemed.");
        const out = h("div", { "data-testid": "voucher-out" });
        const sign = h("button", { type: "submit", "data-testid": "voucher-sign" }, "Sign the voucher");
        const form = h("form", { "aria-label": `Sign a voucher for channel ${c.id}` }, totalF, sign, out);
        form.addEventListener("submit", async (ev) => {
          ev.preventDefault();
          let cumulative: bigint;
          try {
            cumulative = BigInt(parseAmount(total.value, decimals));
            if (cumulative <= BigInt(c.redeemed)) throw new Error(`${money(c.redeemed)} was redeemed already, so this voucher would pay nothing`);
            if (cumulative > BigInt(c.deposit)) throw new Error(`the channel holds ${money(c.deposit)}: add to its deposit below first`);
          } catch (e) {
            return report("failed", `Not signed: ${plain(e)}.`);
          }
          const text = voucherText(chain.d.chain_id, contract, c, cumulative);
          let signature: string;
          try {
            report("signing", `Waiting for your wallet (a signature, no transaction, no fee). Its text names channel ${c.id}, the payee ${c.payee}, the asset ${assetLabel(c.asset)} and the total ${cumulative} in base units (${money(cumulative)}): sign only if they are these.`);
            signature = toHex(fromBase64((await chain.signArbitrary(text, "a voucher")).signature));
          } catch (e) {
            return report("failed", `Not signed: ${/reject|denied|cancel/i.test(plain(e)) ? "you rejected the request in your wallet" : plain(e)}.`);
          }
          report("included", `Voucher for ${money(cumulative)} in total signed. Give it to the payee: it is the payment.`);
          const command = `bithive escrow channel redeem ${c.id} --total ${plainTotal(cumulative)} --signature ${signature}`;
          out.replaceChildren(
            h("p", {}, "Total ", h("code", { "data-testid": "voucher-total-out" }, plainTotal(cumulative)), ", signature ", h("code", { class: "code", "data-testid": "voucher-signature" }, signature)),
            h("p", {}, "The payee redeems it here, or with ", h("code", { class: "code" }, command)),
            copyButton(command, "Copy the payee's command", "voucher-copy"),
          );
        });
        body.push(h("h4", {}, "Pay through it"), form);
      }
      // Adding to the deposit needs no voucher key either: in the channel's own asset, a cw20
      // through its send hook, a native denom as the message's funds.
      const [addF, add] = field(`Add to the deposit (${unit})`, { inputmode: "decimal", "data-testid": `channel-top-up-amount-${c.id}` }, "So vouchers can go on past what the channel holds; what they do not pay comes back when it closes.");
      const addBtn = h("button", { type: "submit", "data-testid": `channel-top-up-${c.id}` }, "Add");
      const addForm = h("form", { "aria-label": `Add to the deposit of channel ${c.id}` }, addF, addBtn);
      addForm.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        let amount: string;
        try {
          amount = parseAmount(add.value, decimals);
        } catch (e) {
          return report("failed", `Not sent: ${plain(e)}.`);
        }
        const hook = { top_up_channel: { channel_id: c.id } };
        const msg =
          "cw20" in c.asset
            ? executeMsg(me, c.asset.cw20, { send: { contract, amount, msg: toBase64(toUtf8(JSON.stringify(hook))) } } satisfies TokenExecuteMsg)
            : executeMsg(me, contract, hook satisfies EscrowMsg, [{ denom: c.asset.native, amount }]);
        addBtn.disabled = true;
        await submit(msg, `Channel ${c.id} now holds ${money(BigInt(c.deposit) + BigInt(amount))}.`);
        addBtn.disabled = false;
      });
      body.push(h("h4", {}, "Add to it"), addForm);
      // Closing needs no voucher key: the payer's account closes.
      if (!closesAt) {
        const b = h("button", { type: "button", "data-testid": `channel-request-close-${c.id}` }, "Ask to close");
        b.addEventListener("click", () => act({ request_close: { channel_id: c.id } }, `Channel ${c.id} is closing: the payee may redeem until the challenge period ends, then you finish closing and the rest comes back.`));
        body.push(b);
      } else if (now >= closesAt) {
        const b = h("button", { type: "button", "data-testid": `channel-finalize-${c.id}` }, "Finish closing");
        b.addEventListener("click", () => act({ finalize_close: { channel_id: c.id } }, `Channel ${c.id} is closed; what was not redeemed came back to you.`));
        body.push(b);
      }
    }
    if (!c.closed && me === c.payee) {
      const [totalF, total] = field(`Voucher total (${unit})`, { inputmode: "decimal", "data-testid": "redeem-total" });
      const [sigF, sig] = field("Signature (hex)", { autocomplete: "off", "data-testid": "redeem-signature" }, "As the payer's page or `bithive escrow channel voucher` gave it.");
      const redeem = h("button", { type: "submit", "data-testid": "redeem" }, "Redeem");
      const form = h("form", { "aria-label": `Redeem a voucher of channel ${c.id}` }, totalF, sigF, redeem);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        let cumulative: bigint;
        let signature: Uint8Array;
        let kind: VoucherForm | null;
        try {
          cumulative = BigInt(parseAmount(total.value, decimals));
          try {
            signature = fromHex(sig.value.trim());
          } catch {
            throw new Error("the signature is not hex");
          }
          kind = await voucherForm(chain, c, cumulative, signature);
          if (!kind) throw new Error(`this is not the payer's voucher for ${money(cumulative)} through channel ${c.id}`);
          if (cumulative <= BigInt(c.redeemed)) throw new Error(`${money(c.redeemed)} was redeemed already: this voucher adds nothing`);
          if (cumulative > BigInt(c.deposit)) throw new Error(`the voucher is for ${money(cumulative)} but the channel holds ${money(c.deposit)}: ask the payer to top it up`);
        } catch (e) {
          return report("failed", `Not redeemed: ${plain(e)}. Nothing was signed.`);
        }
        await act(
          { redeem_voucher: { channel_id: c.id, cumulative: cumulative.toString(), signature: toBase64(signature), ...(kind === "adr36" ? { form: kind } : {}) } },
          `Redeemed: ${money(cumulative - BigInt(c.redeemed))} more through channel ${c.id}, less the fee.`,
        );
      });
      const close = h("button", { type: "button", "data-testid": `channel-payee-close-${c.id}` }, "Close it now");
      close.addEventListener("click", () => act({ payee_close: { channel_id: c.id } }, `Channel ${c.id} is closed; what was not redeemed went back to the payer.`));
      body.push(h("h4", {}, "Be paid"), form, close);
    }
    body.push(st);
    return h("div", { class: "card", "data-testid": `channel-${c.id}` }, ...body);
  };

  return section(
    "Payment channels",
    h("p", {}, "For many small payments: one deposit, then vouchers your wallet signs for free, each carrying the total paid so far. The payee redeems the latest when it likes; none pays twice."),
    openForm,
    h("h4", {}, "Find a channel"),
    lookForm,
  );
}
