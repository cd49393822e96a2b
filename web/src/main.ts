// BitHive web app: one page, a screen per group of users, hash routing (#wallet, #network, …),
// each screen's code loaded when it is first opened (screens/index.ts).
import "./style.css";
import { Chain, installedWallets, plain, UserError } from "./chain";
import { loadDeployment } from "./deployment";
import { h, short } from "./ui";
import { screens } from "./screens/index";

async function boot() {
  const main = document.getElementById("main")!;
  const nav = document.getElementById("nav")!;
  const account = document.getElementById("account")!;
  let chain: Chain;
  try {
    const d = await loadDeployment(new URL("deployment.json", window.location.href).toString());
    chain = new Chain(d, window.location.href);
    await chain.connect();
  } catch (e) {
    main.replaceChildren(h("p", { role: "alert", class: "error" }, e instanceof UserError ? e.message : `The app could not reach the chain: ${plain(e)}`));
    return;
  }

  const connectBtn = h("button", { type: "button", "data-testid": "connect" }, "Connect wallet");
  const accountMsg = h("span", { role: "status", "aria-live": "polite", "data-testid": "account" });
  // More than one wallet in the browser (Keplr and Leap): the user picks which one connects.
  const wallets = installedWallets();
  const choice = h("select", { id: "wallet-choice", "data-testid": "wallet-choice", "aria-label": "Wallet" }, ...wallets.map((w) => h("option", { value: w.id }, w.name)));
  const chooser = wallets.length > 1 ? h("span", { class: "wallet-choice" }, choice) : null;
  account.replaceChildren(...(chooser ? [chooser] : []), connectBtn, accountMsg);
  // The header follows the session: connected, switched to another account, or lost.
  const showAccount = () => {
    const s = chain.session;
    accountMsg.classList.toggle("error", !s && chain.sessionLost !== null);
    accountMsg.textContent = s ? `${s.name}${wallets.length > 1 ? ` (${s.wallet.name})` : ""}: ${short(s.address)}` : (chain.sessionLost ?? "");
    accountMsg.title = s ? s.address : "";
    connectBtn.hidden = s !== null;
    if (chooser) chooser.hidden = s !== null;
    connectBtn.disabled = false;
  };
  chain.onSession(showAccount);
  connectBtn.addEventListener("click", async () => {
    connectBtn.disabled = true;
    accountMsg.classList.remove("error");
    accountMsg.textContent = "Connecting…";
    try {
      await chain.connectWallet(wallets.length > 1 ? choice.value : undefined);
    } catch (e) {
      accountMsg.textContent = e instanceof UserError ? e.message : `The wallet did not connect: ${plain(e)}`;
      accountMsg.classList.add("error");
      connectBtn.disabled = false;
    }
  });

  const links = screens.map((s) => h("a", { href: `#${s.id}`, "data-screen": s.id }, s.title));
  nav.replaceChildren(h("ul", {}, ...links.map((a) => h("li", {}, a))));

  let seq = 0;
  const show = async () => {
    // `#screen` or `#screen/...` (the explorer's pages: `#explorer/tx/HASH`).
    const id = (window.location.hash.slice(1) || screens[0].id).split("/")[0];
    const screen = screens.find((s) => s.id === id) ?? screens[0];
    links.forEach((a) => (a.dataset.screen === screen.id ? a.setAttribute("aria-current", "page") : a.removeAttribute("aria-current")));
    const mine = ++seq;
    main.setAttribute("aria-busy", "true");
    let el: HTMLElement;
    try {
      el = await (await screen.load()).render(chain);
    } catch (e) {
      el = h("p", { role: "alert", class: "error" }, `This screen could not load: ${plain(e)}`);
    }
    if (mine !== seq) return;
    main.replaceChildren(h("h2", { class: "screen-title", "data-testid": `screen-${screen.id}` }, screen.title), el);
    main.removeAttribute("aria-busy");
    document.title = `BitHive: ${screen.title}`;
  };
  window.addEventListener("hashchange", show);
  chain.onSession(show);
  await show();
  // Time to the first screen rendered with chain data (read by the browser test).
  document.body.dataset.readyMs = performance.now().toFixed(0);
  document.body.dataset.ready = "true";
}

boot();
