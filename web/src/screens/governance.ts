// Governance: the DAO that governs the deployment (DAO DAO, ADR 009). Its proposals, newest first
// a page at a time, with status, tally, threshold and time left, and their actions in the plain
// words `bithive gov show` uses (the same Rust code, from the browser package), with what a
// member's client objects to. A member votes on an open proposal and executes a passed one
// through the wallet; `yes` is refused in the page on a proposal with an objection, as `bithive
// gov vote yes` refuses it, and executing one asks twice.
import { DaoDaoCoreQueryClient } from "../contracts/DaoDaoCore.client";
import { DaoProposalSingleQueryClient } from "../contracts/DaoProposalSingle.client";
import type {
  Expiration,
  ExecuteMsg as ProposalExecuteMsg,
  PercentageThreshold,
  ProposalResponse,
  Status,
  Threshold,
  Vote,
} from "../contracts/DaoProposalSingle.types";
import { type Chain, executeMsg, plain, runTx } from "../chain";
import { h, section, short, txStatus } from "../ui";
import type { Screen } from "../screen";

/** One message of a proposal in plain words (`bithive_deploy_plan::gov::Explained`). */
interface Explained {
  words: string;
  objection: string | null;
}

/** Proposals read per page (newest first). */
const PAGE = 20;

const STATUS: Record<string, string> = {
  open: "Open for votes",
  rejected: "Rejected",
  passed: "Passed: may be executed",
  executed: "Executed",
  closed: "Closed",
  execution_failed: "Execution failed",
  vetoed: "Vetoed",
};

/** The chain's clock: its latest block. */
interface Now {
  seconds: number;
  height: number;
}

export function statusWords(s: Status, now: Now): string {
  if (typeof s === "string") return STATUS[s] ?? s;
  return `In its veto window (${timeLeft(s.veto_timelock.expiration, now)})`;
}

const percent = (x: number) => `${Number.isInteger(x) ? x.toFixed(0) : x.toFixed(1)} %`;
const pct = (p: PercentageThreshold) => ("majority" in p ? "a majority" : percent(Number(p.percent) * 100));

/** DAO DAO counts a percentage against the weight that did not abstain. */
export function thresholdWords(t: Threshold): string {
  if ("absolute_percentage" in t) {
    return `passes when yes reaches ${pct(t.absolute_percentage.percentage)} of the voting weight that did not abstain`;
  }
  if ("threshold_quorum" in t) {
    return `passes with ${pct(t.threshold_quorum.threshold)} yes of the weight that voted and did not abstain, once ${pct(t.threshold_quorum.quorum)} of all weight voted`;
  }
  return `passes with ${t.absolute_count.threshold} yes weight`;
}

/** Time or blocks until `e`, from the chain's latest block (its clock, not the browser's). */
export function timeLeft(e: Expiration, now: Now): string {
  if ("never" in e) return "no end";
  if ("at_height" in e) {
    const n = e.at_height - now.height;
    return n > 0 ? `ends in ${n} blocks (height ${e.at_height})` : `ended at height ${e.at_height}`;
  }
  const end = Number(BigInt(e.at_time) / 1_000_000_000n);
  const left = end - now.seconds;
  const at = new Date(end * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
  if (left <= 0) return `ended ${at}`;
  const d = Math.floor(left / 86_400), hr = Math.floor((left % 86_400) / 3600), m = Math.floor((left % 3600) / 60);
  const parts = d ? `${d} d ${hr} h` : hr ? `${hr} h ${m} min` : m ? `${m} min` : `${left} s`;
  return `${parts} left (ends ${at})`;
}

/** The proposal module the DAO takes proposals through (its first enabled one). */
async function proposalModule(chain: Chain, dao: string): Promise<string> {
  const modules = await new DaoDaoCoreQueryClient(chain.query, dao).activeProposalModules({});
  const m = modules.find((x) => x.status === "enabled") ?? modules[0];
  if (!m) throw new Error(`the DAO ${dao} has no active proposal module`);
  return m.address;
}

/** Each proposal's messages in plain words. When the words cannot be computed (the browser
 * package did not load), every message says so with an objection: nothing is approved unread. */
async function explainAll(chain: Chain, proposals: ProposalResponse[]): Promise<Explained[][]> {
  let explain: (d: string, msgs: string) => string;
  try {
    const { browserPackage } = await import("../browser-package");
    explain = (await browserPackage()).explainProposal;
  } catch (e) {
    const why = `the plain words could not be computed (${plain(e)})`;
    return proposals.map((p) => p.proposal.msgs.map((m) => ({ words: JSON.stringify(m), objection: why })));
  }
  const d = JSON.stringify(chain.d);
  return proposals.map((p) => {
    try {
      return JSON.parse(explain(d, JSON.stringify(p.proposal.msgs))) as Explained[];
    } catch (e) {
      const why = `the plain words could not be computed (${plain(e)})`;
      return p.proposal.msgs.map((m) => ({ words: JSON.stringify(m), objection: why }));
    }
  });
}

export const governanceScreen: Screen = {
  async render(chain) {
    const dao = chain.d.contracts.dao;
    if (!dao) {
      return section(
        "No DAO",
        h(
          "p",
          { "data-testid": "no-dao" },
          "This deployment has no DAO: its contracts are governed by the key named in each of them. Deploy with `bithive deploy --dao` to govern it by proposals and votes.",
        ),
      );
    }
    // One live region for the outcome of every vote and execution, kept across redraws.
    const notice = h("p", { class: "tx", role: "status", "aria-live": "polite", "data-testid": "governance-notice" });
    const body = h("div", {});
    let pages = 1;
    const draw = async (focus?: string) => {
      try {
        body.replaceChildren(await renderDao(chain, dao, pages, { notice, redraw: draw, more: () => { pages += 1; return draw(); } }));
        if (focus) document.getElementById(focus)?.focus();
      } catch (e) {
        notice.dataset.state = "failed";
        notice.textContent = `The proposals could not be read again: ${plain(e)}. Reload the page.`;
      }
    };
    await draw();
    return h("div", {}, notice, body);
  },
};

interface Ctx {
  notice: HTMLElement;
  /** Draws the screen again from the chain, then focuses the element with id `focus`. */
  redraw: (focus?: string) => Promise<void>;
  /** Shows the next page of older proposals. */
  more: () => Promise<void>;
}

async function renderDao(chain: Chain, dao: string, pages: number, ctx: Ctx): Promise<HTMLElement> {
  const core = new DaoDaoCoreQueryClient(chain.query, dao);
  const [config, moduleAddr, block] = await Promise.all([core.config(), proposalModule(chain, dao), chain.query.getBlock()]);
  const props = new DaoProposalSingleQueryClient(chain.query, moduleAddr);
  const [{ proposals }, moduleConfig, count] = await Promise.all([
    props.reverseProposals({ limit: PAGE * pages }),
    props.config(),
    props.proposalCount(),
  ]);
  const total = Number(count);
  const now: Now = { seconds: Math.floor(new Date(block.header.time).getTime() / 1000), height: block.header.height };
  const explained = proposals.length ? await explainAll(chain, proposals) : [];
  const me = chain.session?.address;
  const myPower = me ? (await core.votingPowerAtHeight({ address: me })).power : "0";

  const intro = h(
    "p",
    { "data-testid": "dao-intro" },
    `${config.name}: ${config.description} `,
    h("code", { title: dao }, short(dao)),
    ". ",
    me
      ? BigInt(myPower) > 0n
        ? `You are a member with voting weight ${myPower}.`
        : "Your account is not a member: you can read the proposals but not vote."
      : "Connect your wallet to vote as a member.",
  );

  const cards = await Promise.all(
    proposals.map(async (p, i) => {
      const q = p.proposal;
      const words = explained[i] ?? [];
      const objections = words.filter((w) => w.objection);
      const objectionId = `objections-${p.id}`;
      const titleId = `proposal-${p.id}-title`;
      const totalPower = BigInt(q.total_power);
      const share = (v: string) => (totalPower > 0n ? ` (${percent(Math.round((Number(BigInt(v)) * 1000) / Number(totalPower)) / 10)})` : "");
      const [status, report] = txStatus(`proposal-${p.id}-status`);
      const actions: Node[] = [];
      const send = async (msg: ProposalExecuteMsg, what: string, buttons: HTMLButtonElement[]) => {
        buttons.forEach((b) => (b.disabled = true));
        const out = await runTx(chain, [executeMsg(me!, moduleAddr, msg)], "", report);
        if (!out) {
          buttons.forEach((b) => (b.disabled = false));
          return;
        }
        ctx.notice.dataset.state = "included";
        ctx.notice.textContent = `Proposal ${p.id}: ${what}. ${status.textContent}`;
        await ctx.redraw(titleId);
      };
      // What the contract counts: the account's weight when the proposal opened.
      const [power, mine] = me
        ? await Promise.all([core.votingPowerAtHeight({ address: me, height: q.start_height }), props.getVote({ proposalId: p.id, voter: me })])
        : [null, null];
      const member = power !== null && BigInt(power.power) > 0n;
      if (mine?.vote) {
        actions.push(h("p", { "data-testid": `proposal-${p.id}-my-vote` }, `You voted ${mine.vote.vote} with weight ${mine.vote.power}.`));
      }
      if (me && q.status === "open" && (!mine?.vote || q.allow_revoting)) {
        if (member) {
          const buttons: HTMLButtonElement[] = [];
          for (const v of ["yes", "no", "abstain"] as Vote[]) {
            if (mine?.vote?.vote === v) continue;
            // Refused, not disabled: a disabled button leaves the tab order and its reason is never read.
            const refused = v === "yes" && objections.length > 0;
            const b = h(
              "button",
              { type: "button", "data-testid": `vote-${v}-${p.id}`, "aria-disabled": refused ? "true" : undefined, "aria-describedby": refused ? objectionId : undefined },
              mine?.vote ? `Change to ${v}` : `Vote ${v}`,
            );
            b.addEventListener("click", () => {
              if (refused) {
                report("failed", "Not sent: your client objects to this proposal (see the warning above). Vote no, or review it with DAO DAO's own tools.");
                return;
              }
              void send({ vote: { proposal_id: p.id, vote: v } }, `you voted ${v}`, buttons);
            });
            buttons.push(b);
          }
          actions.push(h("div", { class: "actions" }, ...buttons));
        } else {
          actions.push(h("p", {}, "Your account had no voting weight when this proposal opened."));
        }
      }
      if (me && q.status === "passed") {
        if (member || !moduleConfig.only_members_execute) {
          const b = h(
            "button",
            { type: "button", "data-testid": `execute-${p.id}`, "aria-describedby": objections.length ? objectionId : undefined },
            "Execute",
          );
          let confirmed = objections.length === 0;
          b.addEventListener("click", () => {
            if (!confirmed) {
              confirmed = true;
              b.textContent = "Execute despite the objection";
              report("failed", "Your client objects to this proposal (see the warning above): press again to execute it anyway.");
              return;
            }
            void send({ execute: { proposal_id: p.id } }, "executed", [b]);
          });
          actions.push(h("div", { class: "actions" }, b));
        } else {
          actions.push(h("p", {}, "Only members may execute it: your account had no voting weight when it opened."));
        }
      }
      return h(
        "article",
        { class: "proposal", "data-testid": `proposal-${p.id}`, "aria-labelledby": titleId },
        h("h4", { id: titleId, tabindex: -1 }, `#${p.id} ${q.title}`),
        q.description && q.description !== q.title ? h("p", {}, q.description) : null,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Status"),
          h("dd", { "data-testid": `proposal-${p.id}-state` }, statusWords(q.status, now)),
          h("dt", {}, "Votes"),
          h(
            "dd",
            { "data-testid": `proposal-${p.id}-tally` },
            `yes ${q.votes.yes}${share(q.votes.yes)}, no ${q.votes.no}${share(q.votes.no)}, abstain ${q.votes.abstain}${share(q.votes.abstain)} of ${q.total_power}; ${thresholdWords(q.threshold)}`,
          ),
          ...(q.status === "open" ? [h("dt", {}, "Voting"), h("dd", { "data-testid": `proposal-${p.id}-time` }, timeLeft(q.expiration, now))] : []),
          h("dt", {}, "Proposed by"),
          h("dd", {}, h("code", { title: q.proposer }, short(q.proposer))),
        ),
        h(
          "ol",
          { "data-testid": `proposal-${p.id}-actions`, "aria-label": "What it does" },
          ...words.map((w) => h("li", {}, w.words, w.objection ? h("strong", { class: "error" }, ` Warning: ${w.objection}`) : null)),
        ),
        objections.length
          ? h(
              "p",
              { id: objectionId, class: "error", "data-testid": `proposal-${p.id}-objection` },
              "Your client objects to this proposal (above): vote no, or review it with DAO DAO's own tools.",
            )
          : null,
        ...actions,
        status,
      );
    }),
  );
  const older =
    proposals.length < total
      ? (() => {
          const b = h("button", { type: "button", "data-testid": "older-proposals" }, `Show ${Math.min(PAGE, total - proposals.length)} older`);
          b.addEventListener("click", () => {
            b.disabled = true;
            void ctx.more();
          });
          return b;
        })()
      : null;
  return h(
    "div",
    {},
    section("The DAO", intro),
    section(
      "Proposals",
      h(
        "p",
        { "data-testid": "proposal-count" },
        !total ? "No proposals yet." : proposals.length < total ? `The ${proposals.length} newest of ${total} proposals.` : `All ${total} proposals, newest first.`,
      ),
      proposals.length ? h("div", { "data-testid": "proposals" }, ...cards) : null,
      older,
    ),
  );
}
