//! `bithive asset` as an issuer, a valuer, an investor, a hospital, a buyer and a stranger use
//! it, on a devnet deployment. The issuer (the asset contract's admin, handed over in two steps)
//! mints a scanner with its document's hash and markers; a valuer values it; the issuer locks it
//! for 1000 shares and hands 250 to the investor; the hospital pays 100 BTT of revenue; the
//! investor claims its quarter; the buyer buys the scanner at its 500 BTT reserve and the
//! investor redeems its quarter of the price. Refused in words with nothing sent: a stranger's
//! mint, a mint to a holder the compliance officer never approved, a stranger's valuation and
//! lock, more shares than held, a second claim, revenue after the buyout, a redemption without
//! shares.

mod common;

use bithive_cli::demo::platform::{client, PREFIX};
use bithive_interface::asset_nft::ExecuteMsg as NftMsg;
use serde_json::Value;

use common::{bithive_as, cw20_balance, deployed_devnet, funded_keys, home_with, ok, refused};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asset_is_minted_valued_shared_earns_and_is_bought_out() {
    let (devnet, gov, d) = deployed_devnet("asset-cli-1").await;
    let rpc = devnet.rpc_url();
    let dir = home_with(&d);
    let home = dir.path();
    let addr = funded_keys(
        &home.join("keyring.json"),
        &gov,
        &[
            "issuer", "valuer", "investor", "hospital", "buyer", "stranger",
        ],
    )
    .await;
    let keyring = bithive_relayer::keyring::Keyring::new(home.join("keyring.json"));
    let token = d.contracts.btt.clone();
    for (who, amount) in [("hospital", 100u128), ("buyer", 500)] {
        gov.execute_batch(&[(
            token.clone(),
            cw20::Cw20ExecuteMsg::Transfer {
                recipient: addr[who].clone(),
                amount: (amount * 1_000_000).into(),
            },
        )])
        .await
        .unwrap();
    }
    // The issuer becomes the asset contract's admin (two steps) and appoints a valuer.
    let issuer = client(&rpc, &d.chain_id, keyring.get("issuer", PREFIX).unwrap()).unwrap();
    gov.execute_batch(&[(
        d.contracts.asset_nft.clone(),
        NftMsg::UpdateOwnership(cw_ownable::Action::TransferOwnership {
            new_owner: addr["issuer"].clone(),
            expiry: None,
        }),
    )])
    .await
    .unwrap();
    issuer
        .execute_batch(&[(
            d.contracts.asset_nft.clone(),
            NftMsg::UpdateOwnership(cw_ownable::Action::AcceptOwnership),
        )])
        .await
        .unwrap();
    issuer
        .execute_batch(&[(
            d.contracts.asset_nft.clone(),
            NftMsg::AddValuer {
                valuer: addr["valuer"].clone(),
            },
        )])
        .await
        .unwrap();
    let run = |key: &str, args: &[&str]| bithive_as(home, &rpc, key, "asset", args);
    let doc = home.join("scanner.pdf");
    std::fs::write(&doc, b"%PDF-1.7 MRI scanner, serial 4711, installed 2026").unwrap();
    let mint = |key: &str, owner: &str, jurisdiction: &str| {
        run(
            key,
            &[
                "mint",
                "--id",
                "mri-4711",
                "--owner",
                owner,
                "--class",
                "medical-equipment",
                "--document",
                doc.to_str().unwrap(),
                "--document-uri",
                "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
                "--jurisdiction",
                jurisdiction,
            ],
        )
    };

    // Minting is the admin's; a holder not approved for an approved-holders-only jurisdiction
    // receives nothing.
    refused(
        mint("stranger", &addr["issuer"], "EU:medical-device-regulated"),
        "only the asset contract's admin",
    );
    refused(
        mint("issuer", &addr["investor"], "EU:approved-holders-only"),
        "is not approved to hold assets of jurisdiction EU",
    );
    refused(
        mint("issuer", &addr["issuer"], "EU:gdpr"),
        "gdpr is not a marker",
    );
    ok(mint(
        "issuer",
        &addr["issuer"],
        "EU:medical-device-regulated,data-protection-regulated",
    ));
    let show = ok(run("stranger", &["show", "mri-4711"]));
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&doc).unwrap(),
    ));
    assert!(
        show.contains("medical equipment")
            && show.contains("EU: medical device regulated, data protection regulated")
            && show.contains(&hash)
            && show.contains("none yet"),
        "{show}"
    );

    // Valued by a valuer only.
    refused(
        run("stranger", &["value", "mri-4711", "--submit", "1000"]),
        "you are not a valuer",
    );
    let v = ok(run("valuer", &["value", "mri-4711", "--submit", "250000"]));
    assert!(v.contains("250000 uusdc (median of 1"), "{v}");

    // Locked by its owner only, for 1000 shares.
    let lock = |key: &str| {
        run(
            key,
            &[
                "fractionalize",
                "mri-4711",
                "--shares",
                "1000",
                "--share-name",
                "MRI 4711 shares",
                "--share-symbol",
                "MRIS",
                "--reserve",
                "500",
                "--json",
            ],
        )
    };
    refused(lock("stranger"), "only its owner locks it");
    let locked: Value = serde_json::from_str(&ok(lock("issuer"))).unwrap();
    let vault = locked["vault_id"].as_u64().unwrap().to_string();
    let shares = locked["share_token"].as_str().unwrap().to_string();

    // Shares change hands; no more than one holds.
    refused(
        run(
            "issuer",
            &[
                "transfer-shares",
                &vault,
                "--to",
                &addr["investor"],
                "--amount",
                "2000",
            ],
        ),
        "you hold 1000 MRIS",
    );
    ok(run(
        "issuer",
        &[
            "transfer-shares",
            &vault,
            "--to",
            &addr["investor"],
            "--amount",
            "250",
        ],
    ));
    assert_eq!(
        cw20_balance(&gov, &shares, &addr["investor"]).await,
        250_000_000
    );

    // Revenue pro rata: the investor's quarter.
    refused(run("investor", &["claim", &vault]), "earned nothing");
    ok(run("hospital", &["revenue", &vault, "--amount", "100"]));
    ok(run("investor", &["claim", &vault]));
    assert_eq!(
        cw20_balance(&gov, &token, &addr["investor"]).await,
        25_000_000
    );
    refused(run("investor", &["claim", &vault]), "earned nothing");

    // Bought out at the reserve; the shares redeem the price.
    ok(run("buyer", &["buyout", &vault]));
    assert_eq!(cw20_balance(&gov, &token, &addr["buyer"]).await, 0);
    let show = ok(run("stranger", &["show", "mri-4711"]));
    assert!(
        show.contains(&format!("owner          {}", addr["buyer"])),
        "{show}"
    );
    refused(
        run("hospital", &["revenue", &vault, "--amount", "1"]),
        "it takes no revenue",
    );
    refused(run("stranger", &["redeem", &vault]), "you hold no shares");
    let r = ok(run("investor", &["redeem", &vault]));
    assert!(r.contains("redeemed for 125 BTT"), "{r}");
    assert_eq!(
        cw20_balance(&gov, &token, &addr["investor"]).await,
        150_000_000
    );
    let list = ok(run("stranger", &["vaults"]));
    assert!(list.contains("bought out by"), "{list}");

    // An asset of an approved-holders-only jurisdiction: the vault must be approved before it
    // locks it, and a buyer before it buys it; each refusal is said before anything is sent.
    let approve = |holder: &str| NftMsg::ApproveHolder {
        jurisdiction: "US".into(),
        holder: holder.into(),
    };
    gov.execute_batch(&[(d.contracts.asset_nft.clone(), approve(&addr["issuer"]))])
        .await
        .unwrap();
    let ct = |args: &[&str]| {
        let mut v = vec![
            "mint",
            "--id",
            "ct-9",
            "--owner",
            &addr["issuer"],
            "--class",
            "medical-equipment",
            "--document",
            doc.to_str().unwrap(),
            "--document-uri",
            "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        ];
        v.extend_from_slice(args);
        run("issuer", &v)
    };
    ok(ct(&["--jurisdiction", "US:approved-holders-only"]));
    let lock_ct = || {
        run(
            "issuer",
            &[
                "fractionalize",
                "ct-9",
                "--shares",
                "10",
                "--share-name",
                "CT 9 shares",
                "--share-symbol",
                "CTS",
                "--reserve",
                "5",
                "--json",
            ],
        )
    };
    refused(
        lock_ct(),
        "the fractional vault is not approved to hold assets of US",
    );
    gov.execute_batch(&[(
        d.contracts.asset_nft.clone(),
        approve(&d.contracts.fractional),
    )])
    .await
    .unwrap();
    let locked: Value = serde_json::from_str(&ok(lock_ct())).unwrap();
    let ct_vault = locked["vault_id"].as_u64().unwrap().to_string();
    gov.execute_batch(&[(
        token.clone(),
        cw20::Cw20ExecuteMsg::Transfer {
            recipient: addr["buyer"].clone(),
            amount: 5_000_000u128.into(),
        },
    )])
    .await
    .unwrap();
    refused(
        run("buyer", &["buyout", &ct_vault]),
        "you are not approved to hold assets of US",
    );
    assert_eq!(
        cw20_balance(&gov, &token, &addr["buyer"]).await,
        5_000_000,
        "nothing paid"
    );
}
