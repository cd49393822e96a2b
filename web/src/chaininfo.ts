// The Keplr ChainInfo of the deployment: the `keplr-chain-info.json` that `bithive deploy` (or
// `bithive chain-info`) wrote beside deployment.json from what the chain says (packages/
// wallet-files), served by `bithive web`. The app suggests exactly that file to the wallet and
// reads the native coin, the address prefix and the gas price from it, so nothing here can drift
// from what the wallet is told.
import type { Deployment } from "./deployment";

export interface Currency {
  coinDenom: string;
  coinMinimalDenom: string;
  coinDecimals: number;
}

export interface FeeCurrency extends Currency {
  gasPriceStep: { low: number; average: number; high: number };
}

export interface ChainInfo {
  chainId: string;
  chainName: string;
  rpc: string;
  rest: string;
  bip44: { coinType: number };
  bech32Config: { bech32PrefixAccAddr: string } & Record<string, string>;
  currencies: Currency[];
  feeCurrencies: FeeCurrency[];
  stakeCurrency?: Currency;
  features?: string[];
}

/** Fetches and checks the deployment's ChainInfo (the wallet is only ever told this file). */
export async function loadChainInfo(d: Deployment, url: string): Promise<ChainInfo> {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) {
    throw new Error(`no wallet chain info at ${url} (HTTP ${r.status}): write it with \`bithive chain-info\``);
  }
  const info = (await r.json()) as ChainInfo;
  if (info.chainId !== d.chain_id) {
    throw new Error(`${url} is for chain "${info.chainId}", the deployment for "${d.chain_id}": run \`bithive chain-info\` again`);
  }
  const fee = info.feeCurrencies?.[0];
  if (!info.bech32Config?.bech32PrefixAccAddr || !fee?.gasPriceStep || !info.currencies?.length) {
    throw new Error(`${url} is not a Keplr ChainInfo (bech32 prefix, currencies and fee currency with gasPriceStep needed)`);
  }
  return info;
}

/** The chain's own fee coin (the first fee currency). */
export const feeCurrency = (info: ChainInfo): FeeCurrency => info.feeCurrencies[0];

/** `<average><denom>`, the gas price the app pays by (CosmJS `GasPrice.fromString`). */
export const gasPrice = (info: ChainInfo): string => {
  const f = feeCurrency(info);
  return `${f.gasPriceStep.average}${f.coinMinimalDenom}`;
};

export const addressPrefix = (info: ChainInfo): string => info.bech32Config.bech32PrefixAccAddr;
