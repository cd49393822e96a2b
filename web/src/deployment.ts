// deployment.json as `bithive deploy` writes it: the type is generated from the deployment plan's
// JSON schema (schema/deployment.json, packages/deploy-plan `Deployment`) by codegen.mjs.
import type { Deployment } from "./contracts/Deployment.types";
export type { Deployment };

export async function loadDeployment(url = "deployment.json"): Promise<Deployment> {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error(`no deployment at ${url} (HTTP ${r.status}): start the app with \`bithive web\``);
  const d = (await r.json()) as Deployment;
  if (!d.chain_id || !d.contracts?.btt) throw new Error(`${url} is not a BitHive deployment`);
  return d;
}
