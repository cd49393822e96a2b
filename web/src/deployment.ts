// deployment.json as `bithive deploy` writes it (cli/src/deploy.rs `Deployment`).
export interface Deployment {
  chain_id: string;
  deployer: string;
  /** Unix seconds: genesis of emission, staking and rewards. */
  genesis: number;
  codes: Record<string, { code_id: number; checksum: string }>;
  contracts: {
    btk: string;
    btt: string;
    vesting: string;
    staking: string;
    rewards: string;
    emission: string;
    asset_nft: string;
    fractional: string;
    payfi_escrow: string;
    attestation: string;
  };
}

export async function loadDeployment(url = "deployment.json"): Promise<Deployment> {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error(`no deployment at ${url} (HTTP ${r.status}): start the app with \`bithive web\``);
  const d = (await r.json()) as Deployment;
  if (!d.chain_id || !d.contracts?.btt) throw new Error(`${url} is not a BitHive deployment`);
  return d;
}
