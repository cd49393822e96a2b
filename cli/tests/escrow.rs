//! `bithive escrow` as a patient, a provider, an insurer and a stranger use it, on a devnet
//! deployment. A coded milestone escrow in BTT: released milestone by milestone by the payer,
//! disputed by the provider, split by the insurer (the arbiter). A payment channel in the bank
//! coin: the patient signs vouchers off chain, the provider redeems the running total, the
//! patient starts the close and the provider ends it. Every refusal (a stranger's release, a
//! milestone paid twice, a release while disputed, a split above what is left, free text in the
//! coding, a voucher signed by someone else or for another total, a voucher redeemed twice)
//! is said in words with nothing sent: balances and the escrow's state are read after each.

mod common;

use bithive_chain_client::ChainClient;
use bithive_cli::demo::platform::DENOM;
use bithive_interface::payfi_escrow::{AssetInfo, Channel, Escrow, EscrowStatus, QueryMsg};

use common::{
    bithive_as, cw20_balance, deployed_devnet, funded_keys, home_with, ok, ok_json, refused,
};

async fn coins(client: &ChainClient, who: &str) -> u128 {
    bithive_chain_client::query::balance(client.rpc().as_ref(), who, DENOM)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn milestones_disputes_and_channels_pay_only_whom_they_should() {
    let (devnet, gov, d) = deployed_devnet("escrow-cli-1").await;
    let rpc = devnet.rpc_url();
    let dir = home_with(&d);
    let home = dir.path();
    let addr = funded_keys(
        &home.join("keyring.json"),
        &gov,
        &["patient", "provider", "insurer", "stranger"],
    )
    .await;
    gov.execute_batch(&[(
        d.contracts.btt.clone(),
        cw20::Cw20ExecuteMsg::Transfer {
            recipient: addr["patient"].clone(),
            amount: 1_000_000_000u128.into(),
        },
    )])
    .await
    .unwrap();
    let run = |key: &str, args: &[&str]| bithive_as(home, &rpc, key, "escrow", args);
    let token = d.contracts.btt.as_str();
    let show = |id: u64| {
        let gov = &gov;
        let c = d.contracts.payfi_escrow.clone();
        async move {
            gov.query_typed::<_, Escrow>(&c, &QueryMsg::Escrow { escrow_id: id })
                .await
                .unwrap()
        }
    };

    // Coding is checked before anything is signed: no names, no free text on a public chain.
    let create = |extra: &[&str]| {
        let mut args = vec![
            "create",
            "--payee",
            &addr["provider"],
            "--arbiter",
            &addr["insurer"],
            "--milestone",
            "60",
            "--milestone",
            "40",
            "--type",
            "procedure",
            "--procedure",
            "0DTJ4ZZ",
            "--json",
        ];
        args.extend_from_slice(extra);
        run("patient", &args)
    };
    let before = cw20_balance(&gov, token, &addr["patient"]).await;
    refused(
        create(&["--diagnosis", "diabetes", "--invoice", "INV-7"]),
        "--diagnosis diabetes: a diagnosis code",
    );
    refused(
        create(&["--invoice", "John Smith"]),
        "--invoice John Smith: 1 to 40",
    );
    refused(
        run(
            "patient",
            &[
                "create",
                "--payee",
                &addr["provider"],
                "--arbiter",
                &addr["provider"],
                "--milestone",
                "1",
                "--type",
                "procedure",
                "--invoice",
                "INV-7",
            ],
        ),
        "--arbiter: a third party",
    );
    refused(
        run(
            "patient",
            &[
                "create",
                "--payee",
                &addr["provider"],
                "--milestone",
                "ten",
                "--type",
                "procedure",
                "--invoice",
                "INV-7",
            ],
        ),
        "--milestone ten",
    );
    assert_eq!(
        cw20_balance(&gov, token, &addr["patient"]).await,
        before,
        "nothing was sent"
    );

    // Created: 100 BTT locked in two milestones.
    let created = ok_json(create(&["--diagnosis", "K35.80", "--invoice", "INV-7"]));
    let id = created["escrow_id"].as_u64().unwrap();
    let e = show(id).await;
    assert_eq!(e.total.u128(), 100_000_000);
    assert_eq!(
        cw20_balance(&gov, token, &addr["patient"]).await,
        before - 100_000_000
    );
    let words = ok(run("stranger", &["show", &id.to_string()]));
    assert!(
        words.contains("100 BTT") && words.contains("K35.80") && words.contains("INV-7"),
        "{words}"
    );
    let list = ok(run("provider", &["list"]));
    assert!(list.contains("INV-7") && list.contains("0/2"), "{list}");

    // Only the payer or the arbiter releases; a milestone pays once.
    refused(
        run("stranger", &["release", &id.to_string(), "1"]),
        "only its payer",
    );
    refused(
        run("patient", &["release", &id.to_string(), "3"]),
        "has milestones 1 to 2",
    );
    let released = ok_json(run("patient", &["release", &id.to_string(), "1", "--json"]));
    let (paid, fee) = (
        released["paid"].as_str().unwrap().parse::<u128>().unwrap(),
        released["fee"].as_str().unwrap().parse::<u128>().unwrap(),
    );
    assert_eq!(paid + fee, 60_000_000);
    assert_eq!(cw20_balance(&gov, token, &addr["provider"]).await, paid);
    refused(
        run("patient", &["release", &id.to_string(), "1"]),
        "released already",
    );

    // The provider disputes: frozen; only the insurer splits what is left, and not more.
    refused(
        run("stranger", &["dispute", &id.to_string()]),
        "only its payer or payee",
    );
    ok(run("provider", &["dispute", &id.to_string()]));
    assert_eq!(show(id).await.status, EscrowStatus::Disputed);
    refused(
        run("patient", &["release", &id.to_string(), "2"]),
        "is disputed",
    );
    refused(
        run("patient", &["resolve", &id.to_string(), "--to-payee", "10"]),
        "only its arbiter",
    );
    refused(
        run("insurer", &["resolve", &id.to_string(), "--to-payee", "50"]),
        "only 40 BTT is left",
    );
    let patient_before = cw20_balance(&gov, token, &addr["patient"]).await;
    ok(run(
        "insurer",
        &["resolve", &id.to_string(), "--to-payee", "10"],
    ));
    let e = show(id).await;
    assert_eq!(e.status, EscrowStatus::Closed);
    assert_eq!(
        cw20_balance(&gov, token, &addr["patient"]).await,
        patient_before + 30_000_000,
        "the rest went back to the patient"
    );

    // A channel in the bank coin: one deposit, vouchers signed off chain.
    let opened = ok_json(run(
        "patient",
        &[
            "channel",
            "open",
            "--payee",
            &addr["provider"],
            "--deposit",
            "500000",
            "--asset",
            DENOM,
            "--challenge-hours",
            "1",
            "--json",
        ],
    ));
    let ch = opened["channel_id"].as_u64().unwrap().to_string();
    refused(
        run("stranger", &["channel", "voucher", &ch, "--total", "1000"]),
        "only its payer signs them",
    );
    refused(
        run("patient", &["channel", "voucher", &ch, "--total", "600000"]),
        "top it up first",
    );
    let redeem = |key: &str, total: &str, signature: &str, json: bool| {
        let mut args = vec![
            "channel",
            "redeem",
            ch.as_str(),
            "--total",
            total,
            "--signature",
            signature,
        ];
        if json {
            args.push("--json");
        }
        run(key, &args)
    };
    let v = ok_json(run(
        "patient",
        &["channel", "voucher", &ch, "--total", "120000", "--json"],
    ));
    let sig = v["signature"].as_str().unwrap().to_string();
    let provider_before = coins(&gov, &addr["provider"]).await;
    refused(
        redeem("provider", "130000", &sig, false),
        "is not the payer's for 130000",
    );
    refused(redeem("stranger", "120000", &sig, false), "only its payee");
    // A voucher for the same total signed by another key (the payee forging one).
    let forged = hex::encode(
        bithive_payfi_voucher::sign_voucher(
            &[7u8; 32],
            &d.chain_id,
            &d.contracts.payfi_escrow,
            ch.parse().unwrap(),
            120_000,
        )
        .unwrap(),
    );
    refused(
        redeem("provider", "120000", &forged, false),
        "is not the payer's for 120000",
    );
    assert_eq!(
        coins(&gov, &addr["provider"]).await,
        provider_before,
        "nothing redeemed"
    );
    let r = ok_json(redeem("provider", "120000", &sig, true));
    let paid: u128 = r["paid"].as_str().unwrap().parse().unwrap();
    assert!(paid > 0 && paid <= 120_000);
    refused(
        redeem("provider", "120000", &sig, false),
        "redeemed already",
    );
    refused(
        run("patient", &["channel", "voucher", &ch, "--total", "100000"]),
        "would pay nothing",
    );

    // The patient asks to close; the challenge period holds the rest; the provider ends it.
    let closing = ok(run("patient", &["channel", "close", &ch]));
    assert!(closing.contains("may redeem until"), "{closing}");
    refused(
        run("patient", &["channel", "close", &ch]),
        "the payee may still redeem until",
    );
    // While it closes the payee may still redeem: the payer's latest voucher pays.
    let v = ok_json(run(
        "patient",
        &["channel", "voucher", &ch, "--total", "150000", "--json"],
    ));
    let late = v["signature"].as_str().unwrap().to_string();
    ok(redeem("provider", "150000", &late, false));
    // A voucher as the patient's browser wallet signs it (ADR-36 of the voucher text, ADR 011):
    // the payee's CLI tells the form itself and the contract pays it.
    let patient_key = bithive_relayer::keyring::Keyring::new(home.join("keyring.json"))
        .get("patient", "bithive")
        .unwrap();
    let secret: [u8; 32] = patient_key.k256().to_bytes().into();
    let channel = || async {
        gov.query_typed::<_, Channel>(
            &d.contracts.payfi_escrow,
            &QueryMsg::Channel {
                channel_id: ch.parse().unwrap(),
            },
        )
        .await
        .unwrap()
    };
    let open = channel().await;
    let AssetInfo::Native(denom) = &open.asset else {
        panic!("the channel pays in {DENOM}: {:?}", open.asset)
    };
    let wallet_signed = hex::encode(
        bithive_payfi_voucher::VoucherSigner::from_secret(&secret)
            .unwrap()
            .sign_adr36(
                &addr["patient"],
                &bithive_payfi_voucher::TextVoucher {
                    chain_id: &d.chain_id,
                    contract: &d.contracts.payfi_escrow,
                    channel_id: open.id,
                    payee: open.payee.as_str(),
                    asset: bithive_payfi_voucher::VoucherAsset::Native(denom),
                    cumulative: 160_000,
                },
            )
            .unwrap(),
    );
    refused(
        redeem("provider", "170000", &wallet_signed, false),
        "is not the payer's for 170000",
    );
    ok(redeem("provider", "160000", &wallet_signed, false));
    ok(run("provider", &["channel", "close", &ch]));
    let c = channel().await;
    assert!(c.closed);
    assert_eq!(c.refunded.u128(), 500_000 - 160_000);
    let words = ok(run("stranger", &["channel", "show", &ch]));
    assert!(
        words.contains("closed") && words.contains("160000"),
        "{words}"
    );

    // Queries need no key; a missing escrow says so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bithive"))
        .args(["escrow", "show", "999", "--rpc", &rpc, "--deployment"])
        .arg(home.join("deployment.json"))
        .output()
        .unwrap();
    refused(out, "there is no escrow 999");
}
