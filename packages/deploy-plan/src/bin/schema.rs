//! Writes `schema/deployment.json`, the JSON schema of `deployment.json` (the plan's
//! [`Deployment`]), from which the web app's `Deployment` type is generated. Run by
//! `scripts/schema.sh` (which checks it for drift), in the directory it writes into.
use bithive_deploy_plan::Deployment;

fn main() {
    // schemars itself: cosmwasm-schema's `schema_for!` closes every object to unknown fields, which
    // would also close the `codes` map and refuse newer files the type reads on purpose.
    let schema = cosmwasm_schema::schemars::schema_for!(Deployment);
    let text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    std::fs::create_dir_all("schema").expect("schema dir");
    std::fs::write("schema/deployment.json", text + "\n").expect("write schema/deployment.json");
}
