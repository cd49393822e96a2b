// Governance: the DAO that governs the deployment (DAO DAO, ADR 009). Every proposal with its
// status, tally, threshold and time left, and its actions in the plain words `bithive gov show`
// uses (the same Rust code, from the browser package), with what a member's client objects to.
// A member votes on an open proposal and executes a passed one through the wallet; `yes` is
// refused in the page on a proposal with an objection, as `bithive gov vote yes` refuses it.
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
import { type Chain, executeMsg, runTx } from "../chain";
import { h, section, short, txStatus } from "../ui";
import type { Screen } from "../screen";

/** One message of a proposal in plain words (`bithive_deploy_plan::gov::Explained`). */
interface Explained {
  words: string;
  objection: string | null;
}

const STATUS: Record<string, string> = {
  open: "Open for votes",
  rejected: "Rejected",
  passed: "Passed: may be executed",
  executed: "Executed",
  closed: "Closed",
  execution_failed: "Execution failed",
  vetoed: "Vetoed",
};

export function statusWords(s: Status): string {
  return typeof s === "string" ? (STATUS[s] ?? s) : "In its veto window";
}

const pct = (p: PercentageThreshold) => ("majority" in p ? "a majority" : `${(Number(p.percent) * 100).toFixed(0)} %`);

export function thresholdWords(t: Threshold): string {
  if ("absolute_percentage" in t) return `passes with yes from ${pct(t.absolute_percentage.percentage)} of all voting weight`;
  if ("threshold_quorum" in t) {
    return `passes with ${pct(t.threshold_quorum.threshold)} yes of the votes cast, once ${pct(t.threshold_quorum.quorum)} of the weight voted`;
  }
  return `passes with ${t.absolute_count.threshold} yes weight`;
}

/** Seconds or blocks until `e`, from the chain's latest block (its clock, not the browser's). */
export function timeLeft(e: Expiration, now: { seconds: number; height: number }): string {
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

async function explainAll(chain: Chain, proposals: ProposalResponse[]): Promise<Explained[][]> {
  const { browserPackage } = await import("../browser-package");
  const { explainProposal } = await browserPackage();
  const d = JSON.stringify(chain.d);
  return proposals.map((p) => JSON.parse(explainProposal(d, JSON.stringify(p.proposal.msgs))) as Explained[]);
}

export const governanceScreen: Screen = {
  id: "governance",
  title: "Governance",
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
    const root = h("div", {});
    const draw = async (notice?: Node) => {
      root.replaceChildren(await renderDao(chain, dao, draw), ...(notice ? [notice] : []));
    };
    await draw();
    return root;
  },
};

async function renderDao(chain: Chain, dao: string, redraw: (notice?: Node) => Promise<void>): Promise<HTMLElement> {
  const core = new DaoDaoCoreQueryClient(chain.query, dao);
  const [config, moduleAddr, block] = await Promise.all([core.config(), proposalModule(chain, dao), chain.query.getBlock()]);
  const props = new DaoProposalSingleQueryClient(chain.query, moduleAddr);
  const [{ proposals }, moduleConfig] = await Promise.all([props.reverseProposals({ limit: 20 }), props.config()]);
  const now = { seconds: Math.floor(new Date(block.header.time).getTime() / 1000), height: block.header.height };
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
      const total = BigInt(q.total_power);
      const share = (v: string) => (total > 0n ? ` (${((Number(BigInt(v)) * 100) / Number(total)).toFixed(0)} %)` : "");
      const [status, report] = txStatus(`proposal-${p.id}-status`);
      const actions: Node[] = [];
      const send = async (msg: ProposalExecuteMsg, buttons: HTMLButtonElement[]) => {
        buttons.forEach((b) => (b.disabled = true));
        const out = await runTx(chain, [executeMsg(me!, moduleAddr, msg)], "", report);
        if (out) await redraw(h("p", { role: "status", "data-testid": "governance-notice" }, `Proposal ${p.id}: ${status.textContent}`));
        else buttons.forEach((b) => (b.disabled = false));
      };
      if (me && q.status === "open") {
        // Power at the proposal's start: what the contract counts.
        const [power, mine] = await Promise.all([
          core.votingPowerAtHeight({ address: me, height: q.start_height }),
          props.getVote({ proposalId: p.id, voter: me }),
        ]);
        if (mine.vote && !q.allow_revoting) {
          actions.push(h("p", { "data-testid": `proposal-${p.id}-my-vote` }, `You voted ${mine.vote.vote} with weight ${mine.vote.power}.`));
        } else if (BigInt(power.power) > 0n) {
          const buttons: HTMLButtonElement[] = [];
          for (const v of ["yes", "no", "abstain"] as Vote[]) {
            const refused = v === "yes" && objections.length > 0;
            const b = h(
              "button",
              { type: "button", "data-testid": `vote-${v}-${p.id}`, disabled: refused, "aria-describedby": refused ? `objections-${p.id}` : undefined },
              `Vote ${v}`,
            );
            b.addEventListener("click", () => send({ vote: { proposal_id: p.id, vote: v } }, buttons));
            buttons.push(b);
          }
          actions.push(h("div", { class: "actions" }, ...buttons));
        } else {
          actions.push(h("p", {}, "Your account had no voting weight when this proposal opened."));
        }
      }
      if (me && q.status === "passed") {
        if (BigInt(myPower) > 0n || !moduleConfig.only_members_execute) {
          const b = h("button", { type: "button", "data-testid": `execute-${p.id}` }, "Execute");
          b.addEventListener("click", () => send({ execute: { proposal_id: p.id } }, [b]));
          actions.push(h("div", { class: "actions" }, b));
        } else {
          actions.push(h("p", {}, "Only members may execute it."));
        }
      }
      return h(
        "article",
        { class: "proposal", "data-testid": `proposal-${p.id}`, "aria-labelledby": `proposal-${p.id}-title` },
        h("h4", { id: `proposal-${p.id}-title` }, `#${p.id} ${q.title}`),
        q.description && q.description !== q.title ? h("p", {}, q.description) : null,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Status"),
          h("dd", { "data-testid": `proposal-${p.id}-state` }, statusWords(q.status)),
          h("dt", {}, "Votes"),
          h(
            "dd",
            { "data-testid": `proposal-${p.id}-tally` },
            `yes ${q.votes.yes}${share(q.votes.yes)}, no ${q.votes.no}${share(q.votes.no)}, abstain ${q.votes.abstain}${share(q.votes.abstain)} of ${q.total_power}; ${thresholdWords(q.threshold)}`,
          ),
          h("dt", {}, "Voting"),
          h("dd", { "data-testid": `proposal-${p.id}-time` }, timeLeft(q.expiration, now)),
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
              { id: `objections-${p.id}`, class: "error", "data-testid": `proposal-${p.id}-objection` },
              "Your client objects to this proposal (above): vote no, or review it with DAO DAO's own tools.",
            )
          : null,
        ...actions,
        status,
      );
    }),
  );
  return h(
    "div",
    {},
    section("The DAO", intro),
    section(
      "Proposals",
      proposals.length ? h("div", { "data-testid": "proposals" }, ...cards) : h("p", { class: "empty", "data-testid": "proposals" }, "No proposals yet."),
    ),
  );
}
