// The Keplr ChainInfo the app suggests (experimentalSuggestChain), built from the deployment.
// TODO(#21 item 2): take the ChainInfo `bithive` writes for the deployment (the chaininfo
// generator, branch `chaininfo`) instead of building it here; this module is the only place
// that knows its shape, so swapping it changes nothing else.
import type { Deployment } from "./deployment";

export const PREFIX = "bithive";
export const NATIVE = { coinDenom: "BHIVE", coinMinimalDenom: "ubhive", coinDecimals: 6 };
export const GAS_PRICE = { low: 0.025, average: 0.025, high: 0.1 };

export interface Currency {
  coinDenom: string;
  coinMinimalDenom: string;
  coinDecimals: number;
}

export interface ChainInfo {
  chainId: string;
  chainName: string;
  rpc: string;
  rest: string;
  bip44: { coinType: number };
  bech32Config: Record<string, string>;
  currencies: Currency[];
  feeCurrencies: (Currency & { gasPriceStep: typeof GAS_PRICE })[];
  stakeCurrency: Currency;
  features: string[];
}

/** Keplr's cw20 currency denom: `cw20:<contract>:<symbol>`. */
export const cw20Denom = (contract: string, symbol: string) => `cw20:${contract}:${symbol}`;

export function chainInfo(d: Deployment, rpc: string, rest: string): ChainInfo {
  const p = PREFIX;
  return {
    chainId: d.chain_id,
    chainName: `BitHive (${d.chain_id})`,
    rpc,
    // TODO(#21 item 1): the devnet's REST API (branch `rest`); until then Keplr shows no
    // balances of its own for this chain, the app reads them over RPC.
    rest,
    bip44: { coinType: 118 },
    bech32Config: {
      bech32PrefixAccAddr: p,
      bech32PrefixAccPub: `${p}pub`,
      bech32PrefixValAddr: `${p}valoper`,
      bech32PrefixValPub: `${p}valoperpub`,
      bech32PrefixConsAddr: `${p}valcons`,
      bech32PrefixConsPub: `${p}valconspub`,
    },
    currencies: [
      NATIVE,
      { coinDenom: "BTT", coinMinimalDenom: cw20Denom(d.contracts.btt, "BTT"), coinDecimals: 6 },
      { coinDenom: "BTK", coinMinimalDenom: cw20Denom(d.contracts.btk, "BTK"), coinDecimals: 6 },
    ],
    feeCurrencies: [{ ...NATIVE, gasPriceStep: GAS_PRICE }],
    stakeCurrency: NATIVE,
    features: ["cosmwasm"],
  };
}
