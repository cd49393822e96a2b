// Every screen, in the navigation's order: the first is shown when the URL names none. Each
// screen's module is a dynamic import(), so Vite builds it into a chunk of its own, fetched when
// the screen is first opened.
import type { ScreenLink } from "../screen";

export const screens: ScreenLink[] = [
  { id: "wallet", title: "Wallet", load: () => import("./wallet").then((m) => m.walletScreen) },
  { id: "network", title: "Network", load: () => import("./network").then((m) => m.networkScreen) },
  { id: "models", title: "Models", load: () => import("./models").then((m) => m.modelsScreen) },
  { id: "patient", title: "Patient", load: () => import("./patient").then((m) => m.patientScreen) },
  { id: "records", title: "My records", load: () => import("./records").then((m) => m.recordsScreen) },
  { id: "payfi", title: "PayFi", load: () => import("./payfi").then((m) => m.payfiScreen) },
  { id: "researcher", title: "Researcher", load: () => import("./researcher").then((m) => m.researcherScreen) },
  { id: "research-data", title: "Research data", load: () => import("./research-data").then((m) => m.researchDataScreen) },
  { id: "operator", title: "Node operator", load: () => import("./operator").then((m) => m.operatorScreen) },
  { id: "investor", title: "Investor", load: () => import("./investor").then((m) => m.investorScreen) },
  { id: "issuer", title: "Asset issuer", load: () => import("./issuer").then((m) => m.issuerScreen) },
  { id: "governance", title: "Governance", load: () => import("./governance").then((m) => m.governanceScreen) },
  { id: "explorer", title: "Explorer", load: () => import("./explorer").then((m) => m.explorerScreen) },
];
