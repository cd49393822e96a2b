//! The files held to the ecosystem's own definitions in `testing/ecosystem` (kept in the
//! repository with their source and licence): chain.json and assetlist.json validated against the Cosmos chain registry's JSON
//! schemas (draft-07); the Keplr ChainInfo against the reference Keplr file (same keys, same
//! JSON types) and Keplr's chain-validator rules; every rule checked to refuse what it should.
use std::path::{Path, PathBuf};

use bithive_wallet_files::keplr::{AppCurrency, ChainInfo, GasPriceStep};
use bithive_wallet_files::registry::NetworkType;
use bithive_wallet_files::{
    default_rest, network_type, pretty_name, registry_name, ChainFacts, Cw20Token, Error,
    NativeCoin, WalletFiles, ASSETLIST_FILE, CHAIN_FILE, KEPLR_FILE,
};
use serde_json::{json, Value};

/// `testing/ecosystem` in the repository (its README names the sources).
fn ecosystem() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("testing/ecosystem");
    assert!(
        dir.join("chain-registry/chain.schema.json").is_file(),
        "{} is missing: the chain-registry schemas and the Keplr reference live in \
         testing/ecosystem; without them the files can not be checked",
        dir.display()
    );
    dir
}

fn read(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// A registry schema as a draft-07 validator with format checks. Its `$schema` URL lacks the
/// trailing `#`, so the draft is set, not guessed; its `$ref`s all point inside the file.
fn schema(name: &str) -> jsonschema::Validator {
    let s = read(&ecosystem().join("chain-registry").join(name));
    assert_eq!(s["$schema"], "https://json-schema.org/draft-07/schema");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&s)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn addr(prefix: &str, byte: u8) -> String {
    let hrp = bech32::Hrp::parse(prefix).unwrap();
    bech32::encode::<bech32::Bech32>(hrp, &[byte; 32]).unwrap()
}

fn devnet_facts() -> ChainFacts {
    let chain_id = "bithive-devnet-1";
    ChainFacts {
        chain_id: chain_id.into(),
        pretty_name: pretty_name(chain_id),
        registry_name: registry_name(chain_id),
        network_type: network_type(chain_id),
        rpc: "http://127.0.0.1:26657".into(),
        rest: default_rest("http://127.0.0.1:26657").unwrap(),
        bech32_prefix: "bithive".into(),
        native: NativeCoin::from_si_denom("ubhive").unwrap(),
        gas_price: GasPriceStep {
            low: 0.025,
            average: 0.025,
            high: 0.1,
        },
        staking_denom: None,
        cw20: vec![
            Cw20Token {
                address: addr("bithive", 1),
                name: "BitHive Token".into(),
                symbol: "BTT".into(),
                decimals: 6,
            },
            Cw20Token {
                address: addr("bithive", 2),
                name: "BitSpark Token".into(),
                symbol: "BTK".into(),
                decimals: 6,
            },
        ],
    }
}

/// A wasmd chain: another prefix, x/staking, https endpoints.
fn wasmd_facts() -> ChainFacts {
    let mut f = devnet_facts();
    f.chain_id = "bithive-wasmd-test-1".into();
    f.pretty_name = pretty_name(&f.chain_id);
    f.registry_name = registry_name(&f.chain_id);
    f.network_type = network_type(&f.chain_id);
    f.rpc = "https://rpc.example.org".into();
    f.rest = "https://rest.example.org".into();
    f.bech32_prefix = "wasm".into();
    f.staking_denom = Some("ubhive".into());
    for (i, t) in f.cw20.iter_mut().enumerate() {
        t.address = addr("wasm", i as u8 + 1);
    }
    f
}

#[test]
fn derived_names_and_endpoints() {
    assert_eq!(registry_name("bithive-devnet-1"), "bithivedevnet");
    assert_eq!(registry_name("wasm-test-2"), "wasmtest");
    assert_eq!(registry_name("juno-1"), "juno");
    assert_eq!(registry_name("Osmosis"), "osmosis");
    assert_eq!(pretty_name("bithive-devnet-1"), "BitHive bithive-devnet-1");
    // Over Keplr's 30 characters with the prefix: the chain id alone.
    assert_eq!(
        pretty_name("a-very-long-chain-id-of-28-c"),
        "a-very-long-chain-id-of-28-c"
    );
    assert_eq!(network_type("bithive-devnet-1"), NetworkType::Devnet);
    assert_eq!(network_type("bithive-wasmd-test-1"), NetworkType::Testnet);
    assert_eq!(
        default_rest("http://127.0.0.1:26657").unwrap(),
        "http://127.0.0.1:1317"
    );
    assert_eq!(
        default_rest("https://rpc.example.org/path").unwrap(),
        "https://rpc.example.org:1317"
    );
    assert!(default_rest("127.0.0.1:26657").is_err());
    let n = NativeCoin::from_si_denom("ubhive").unwrap();
    assert_eq!(
        (n.display.as_str(), n.symbol.as_str(), n.decimals),
        ("bhive", "BHIVE", 6)
    );
    assert_eq!(NativeCoin::from_si_denom("aevmos").unwrap().decimals, 18);
    // No SI prefix: the decimals are unknown, nothing is guessed.
    assert!(NativeCoin::from_si_denom("stake").is_none());
    assert!(NativeCoin::from_si_denom("u").is_none());
}

#[test]
fn registry_files_pass_the_registry_schemas() {
    let chain_schema = schema("chain.schema.json");
    let assets_schema = schema("assetlist.schema.json");
    // The validator itself: the live Juno files pass.
    let juno = ecosystem().join("chain-registry/examples/juno");
    assert_eq!(
        errors(&chain_schema, &read(&juno.join("chain.json"))),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(&assets_schema, &read(&juno.join("assetlist.json"))),
        Vec::<String>::new()
    );

    for facts in [devnet_facts(), wasmd_facts()] {
        let files = WalletFiles::build(&facts).unwrap();
        let chain = serde_json::to_value(&files.chain).unwrap();
        let assets = serde_json::to_value(&files.assetlist).unwrap();
        assert_eq!(errors(&chain_schema, &chain), Vec::<String>::new());
        assert_eq!(errors(&assets_schema, &assets), Vec::<String>::new());

        assert_eq!(chain["bech32_prefix"], facts.bech32_prefix.as_str());
        assert_eq!(chain["slip44"], 118);
        assert_eq!(chain["codebase"]["cosmwasm"]["enabled"], true);
        assert_eq!(chain["fees"]["fee_tokens"][0]["denom"], "ubhive");
        assert_eq!(chain["fees"]["fee_tokens"][0]["high_gas_price"], 0.1);
        assert_eq!(chain["staking"].is_null(), facts.staking_denom.is_none());
        assert_eq!(chain["apis"]["rest"][0]["address"], facts.rest.as_str());
        assert_eq!(assets["chain_name"], chain["chain_name"]);
        // BTT and BTK as cw20 assets, in the registry's form (the Juno file's cw20 assets).
        let a = &assets["assets"];
        assert_eq!(a[0]["type_asset"], "sdk.coin");
        assert_eq!(a[0]["base"], "ubhive");
        assert_eq!(a[0]["display"], "bhive");
        assert_eq!(
            a[0]["denom_units"][1],
            json!({"denom": "bhive", "exponent": 6})
        );
        for (i, t) in facts.cw20.iter().enumerate() {
            let asset = &a[i + 1];
            let base = format!("cw20:{}", t.address);
            assert_eq!(asset["type_asset"], "cw20");
            assert_eq!(asset["address"], t.address.as_str());
            assert_eq!(asset["base"], base.as_str());
            assert_eq!(asset["symbol"], t.symbol.as_str());
            assert_eq!(asset["name"], t.name.as_str());
            assert_eq!(
                asset["denom_units"],
                json!([{"denom": base, "exponent": 0},
                       {"denom": t.symbol.to_lowercase(), "exponent": t.decimals}])
            );
            assert_eq!(asset["display"], t.symbol.to_lowercase());
        }
    }

    // The schemas do bite: a cw20 asset without its address, an unknown field, a wrong $schema.
    let files = WalletFiles::build(&devnet_facts()).unwrap();
    let mut assets = serde_json::to_value(&files.assetlist).unwrap();
    assets["assets"][1]
        .as_object_mut()
        .unwrap()
        .remove("address");
    assert!(!errors(&assets_schema, &assets).is_empty());
    let mut chain = serde_json::to_value(&files.chain).unwrap();
    chain["bech32_prefixes"] = json!("x");
    assert!(!errors(&chain_schema, &chain).is_empty());
    let mut chain = serde_json::to_value(&files.chain).unwrap();
    chain["$schema"] = json!("chain.schema.json");
    assert!(!errors(&chain_schema, &chain).is_empty());
}

/// The JSON type of every key `ours` shares with `reference`, recursively (arrays: each of ours
/// against the reference's first element); returns the differences.
fn shape_diff(path: &str, ours: &Value, reference: &Value, out: &mut Vec<String>) {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if kind(ours) != kind(reference) {
        out.push(format!(
            "{path}: {} here, {} in the reference",
            kind(ours),
            kind(reference)
        ));
        return;
    }
    match (ours, reference) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if let Some(r) = b.get(k) {
                    shape_diff(&format!("{path}.{k}"), v, r, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let Some(r) = b.first() {
                for (i, v) in a.iter().enumerate() {
                    shape_diff(&format!("{path}[{i}]"), v, r, out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn keplr_chain_info_has_the_reference_shape_and_passes_keplrs_rules() {
    let reference_path = ecosystem().join("keplr/juno.chaininfo.json");
    let reference = read(&reference_path);
    // Our type reads Keplr's own file (no unknown field) and our rules accept it.
    let parsed: ChainInfo = serde_json::from_value(reference.clone()).unwrap();
    parsed.validate().unwrap();

    for facts in [devnet_facts(), wasmd_facts()] {
        let files = WalletFiles::build(&facts).unwrap();
        files.keplr.validate().unwrap();
        let ours = serde_json::to_value(&files.keplr).unwrap();
        let (o, r) = (ours.as_object().unwrap(), reference.as_object().unwrap());
        // Every key we write is one the reference uses.
        for k in o.keys() {
            assert!(r.contains_key(k), "{k} is not a key of the reference");
        }
        // Every key the reference has is ours, but the images, wallet links and (without
        // x/staking) the stake currency.
        let optional = [
            "chainSymbolImageUrl",
            "walletUrl",
            "walletUrlForStaking",
            "stakeCurrency",
        ];
        for k in r.keys() {
            assert!(
                o.contains_key(k) || optional.contains(&k.as_str()),
                "{k} missing"
            );
        }
        let mut diff = Vec::new();
        shape_diff("", &ours, &reference, &mut diff);
        assert_eq!(diff, Vec::<String>::new());

        assert_eq!(ours["bip44"], json!({"coinType": 118}));
        let p = &facts.bech32_prefix;
        assert_eq!(
            ours["bech32Config"],
            json!({
                "bech32PrefixAccAddr": p,
                "bech32PrefixAccPub": format!("{p}pub"),
                "bech32PrefixValAddr": format!("{p}valoper"),
                "bech32PrefixValPub": format!("{p}valoperpub"),
                "bech32PrefixConsAddr": format!("{p}valcons"),
                "bech32PrefixConsPub": format!("{p}valconspub"),
            })
        );
        assert_eq!(ours["features"], json!(["cosmwasm", "wasmd_0.24+"]));
        assert_eq!(
            ours["currencies"][0],
            json!({"coinDenom": "BHIVE", "coinMinimalDenom": "ubhive", "coinDecimals": 6})
        );
        for (i, t) in facts.cw20.iter().enumerate() {
            assert_eq!(
                ours["currencies"][i + 1],
                json!({
                    "type": "cw20",
                    "contractAddress": t.address,
                    "coinDenom": t.symbol,
                    "coinMinimalDenom": format!("cw20:{}:{}", t.address, t.name),
                    "coinDecimals": t.decimals,
                })
            );
        }
        assert_eq!(
            ours["feeCurrencies"],
            json!([{"coinDenom": "BHIVE", "coinMinimalDenom": "ubhive", "coinDecimals": 6,
                    "gasPriceStep": {"low": 0.025, "average": 0.025, "high": 0.1}}])
        );
        match &facts.staking_denom {
            None => assert!(ours.get("stakeCurrency").is_none()),
            Some(_) => assert_eq!(ours["stakeCurrency"], ours["currencies"][0]),
        }
    }
}

fn refused(info: &ChainInfo, field: &str) {
    match info.validate() {
        Err(Error::Invalid { field: f, .. }) => assert!(f.starts_with(field), "{f} for {field}"),
        other => panic!("{field}: accepted ({other:?})"),
    }
}

#[test]
fn keplrs_rules_refuse_what_keplr_refuses() {
    let good = WalletFiles::build(&wasmd_facts()).unwrap().keplr;
    let with = |f: &dyn Fn(&mut ChainInfo)| {
        let mut c = good.clone();
        f(&mut c);
        c
    };
    refused(
        &with(&|c| c.rpc = "https://rpc.example.org/?x=1".into()),
        "rpc",
    );
    refused(&with(&|c| c.rest = "not a url".into()), "rest");
    refused(&with(&|c| c.chain_id = "x".repeat(31)), "chainId");
    refused(&with(&|c| c.chain_name = String::new()), "chainName");
    refused(
        &with(&|c| c.bech32_config.bech32_prefix_val_pub = String::new()),
        "bech32Config",
    );
    refused(&with(&|c| c.currencies.clear()), "currencies");
    refused(
        &with(&|c| {
            let dup = c.currencies[1].clone();
            c.currencies.push(dup)
        }),
        "currencies[3]",
    );
    refused(
        &with(&|c| {
            if let AppCurrency::Cw20(t) = &mut c.currencies[1] {
                t.coin_minimal_denom = "BitHive Token".into();
            }
        }),
        "currencies[1].coinMinimalDenom",
    );
    // A contract address of another chain.
    refused(
        &with(&|c| {
            if let AppCurrency::Cw20(t) = &mut c.currencies[1] {
                t.contract_address = addr("juno", 1);
                t.coin_minimal_denom = format!("cw20:{}:BitHive Token", t.contract_address);
            }
        }),
        "currencies[1].contractAddress",
    );
    refused(
        &with(&|c| {
            if let AppCurrency::Native(n) = &mut c.currencies[0] {
                n.coin_decimals = 19;
            }
        }),
        "currencies[0].coinDecimals",
    );
    refused(&with(&|c| c.fee_currencies.clear()), "feeCurrencies");
    refused(
        &with(&|c| c.fee_currencies[0].coin_minimal_denom = "uother".into()),
        "feeCurrencies[0]",
    );
    for (low, average, high) in [(0.2, 0.1, 0.3), (0.1, 0.3, 0.2), (-1.0, 0.0, 0.0)] {
        refused(
            &with(&|c| {
                c.fee_currencies[0].gas_price_step = Some(GasPriceStep { low, average, high })
            }),
            "feeCurrencies[0].gasPriceStep",
        );
    }
    refused(&with(&|c| c.features.push("cosmwasm".into())), "features");
    refused(&with(&|c| c.features.push("bogus".into())), "features");
    refused(&with(&|c| c.features.push("secretwasm".into())), "features");
    refused(
        &with(&|c| {
            if let Some(s) = &mut c.stake_currency {
                s.coin_minimal_denom = "ustake".into();
            }
        }),
        "stakeCurrency",
    );
    // A native currency with a `type`, or a cw20 without its address, is not read at all.
    let mut v = serde_json::to_value(&good).unwrap();
    v["currencies"][0]["type"] = json!("native");
    assert!(serde_json::from_value::<ChainInfo>(v).is_err());
    let mut v = serde_json::to_value(&good).unwrap();
    v["currencies"][1]
        .as_object_mut()
        .unwrap()
        .remove("contractAddress");
    assert!(serde_json::from_value::<ChainInfo>(v).is_err());
}

#[test]
fn facts_keplr_or_the_registry_would_refuse_are_named() {
    type Change = Box<dyn Fn(&mut ChainFacts)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "registry_name",
            Box::new(|f| f.registry_name = "BitHive".into()),
        ),
        ("pretty_name", Box::new(|f| f.pretty_name = "x".repeat(31))),
        (
            "bech32_prefix",
            Box::new(|f| f.bech32_prefix = "Bit Hive".into()),
        ),
        ("rest", Box::new(|f| f.rest = "ftp://x".into())),
        (
            "native.symbol",
            Box::new(|f| f.native.symbol = "B HIVE".into()),
        ),
        ("native.decimals", Box::new(|f| f.native.decimals = 19)),
        (
            "staking_denom",
            Box::new(|f| f.staking_denom = Some("ustake".into())),
        ),
        ("gas_price", Box::new(|f| f.gas_price.high = f64::NAN)),
        (
            "cw20[0].address",
            Box::new(|f| f.cw20[0].address = addr("wasm", 9)),
        ),
        (
            "cw20[1].symbol",
            Box::new(|f| f.cw20[1].symbol = "BTT".into()),
        ),
        ("cw20[0].name", Box::new(|f| f.cw20[0].name = String::new())),
        ("cw20[0].decimals", Box::new(|f| f.cw20[0].decimals = 40)),
    ];
    for (field, change) in cases {
        let mut f = devnet_facts();
        change(&mut f);
        match WalletFiles::build(&f) {
            Err(Error::Invalid { field: got, reason }) => {
                assert!(
                    got.starts_with(field),
                    "{field}: refused as {got}: {reason}"
                )
            }
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn a_token_without_decimals_has_one_unit() {
    let mut f = devnet_facts();
    f.cw20[0].decimals = 0;
    let files = WalletFiles::build(&f).unwrap();
    let a = serde_json::to_value(&files.assetlist).unwrap();
    let base = format!("cw20:{}", f.cw20[0].address);
    assert_eq!(
        a["assets"][1]["denom_units"],
        json!([{"denom": base, "exponent": 0}])
    );
    assert_eq!(a["assets"][1]["display"], base.as_str());
    assert_eq!(
        errors(&schema("assetlist.schema.json"), &a),
        Vec::<String>::new()
    );
}

#[test]
fn written_files_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let files = WalletFiles::build(&devnet_facts()).unwrap();
    let paths = files.write(&dir.path().join("wallet")).unwrap();
    let names: Vec<_> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, [KEPLR_FILE, CHAIN_FILE, ASSETLIST_FILE]);
    let keplr: ChainInfo =
        serde_json::from_str(&std::fs::read_to_string(&paths[0]).unwrap()).unwrap();
    assert_eq!(keplr, files.keplr);
    let chain = serde_json::from_str(&std::fs::read_to_string(&paths[1]).unwrap()).unwrap();
    assert_eq!(files.chain, chain);
    let assets = serde_json::from_str(&std::fs::read_to_string(&paths[2]).unwrap()).unwrap();
    assert_eq!(files.assetlist, assets);
}

/// Attack: an RPC URL with credentials in it (a private node's token, as `BITHIVE_RPC_URL` may
/// carry) would be published in files meant for every wallet and the public registry. Refused,
/// and no REST URL is derived from it.
#[test]
fn endpoints_with_credentials_are_never_written() {
    for url in [
        "http://user:s3cret-token@127.0.0.1:26657",
        "https://s3cret-token@rpc.example.org",
    ] {
        for field in ["rpc", "rest"] {
            let mut f = devnet_facts();
            if field == "rpc" {
                f.rpc = url.into();
            } else {
                f.rest = url.into();
            }
            match WalletFiles::build(&f) {
                Err(Error::Invalid { field: got, reason }) => {
                    assert_eq!(got, field);
                    assert!(
                        !reason.contains("s3cret"),
                        "the error repeats the secret: {reason}"
                    );
                }
                other => panic!("{url} as {field}: {other:?}"),
            }
        }
        assert!(default_rest(url).is_err(), "{url}");
    }
}
