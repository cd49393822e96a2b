//! BitChat congestion-control benchmark through the userspace link emulator.
//!
//! `cargo run --release -p bithive-bitchat --bin bitchat-bench -- [--quick] [--size MB] [--cap S]
//! [--rtts 50,100] [--rates 20,100] [--losses 0,5] [--fair-only | --no-fair]`
//! (`--rtts`/`--rates`/`--losses` in ms, Mbit/s and percent select a subset of the matrix; the
//! fairness table uses the selected RTTs among 50 and 100 ms.)
//! Prints markdown tables: goodput per controller with its ratio to Cubic measured in the same
//! run, completion time, and Jain fairness of two competing flows.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bithive_bitchat::bench::{competing, jain, single_transfer, LinkParams};
use bithive_bitchat::CongestionChoice;

struct Args {
    quick: bool,
    size: u64,
    cap: Duration,
    fair_secs: u64,
    rtts: Option<Vec<u64>>,
    rates: Option<Vec<u64>>,
    losses: Option<Vec<f64>>,
    transfers: bool,
    fairness: bool,
}

fn list<T: std::str::FromStr>(v: Option<String>, what: &str) -> Result<Vec<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let v = v.with_context(|| format!("{what} needs a comma-separated list"))?;
    v.split(',')
        .map(|x| {
            x.trim()
                .parse::<T>()
                .with_context(|| format!("{what}: {x}"))
        })
        .collect()
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        quick: false,
        size: 8 << 20,
        cap: Duration::from_secs(10),
        fair_secs: 10,
        rtts: None,
        rates: None,
        losses: None,
        transfers: true,
        fairness: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => a.quick = true,
            "--size" => a.size = it.next().context("--size MB")?.parse::<u64>()? << 20,
            "--cap" => a.cap = Duration::from_secs(it.next().context("--cap S")?.parse()?),
            "--fair-secs" => a.fair_secs = it.next().context("--fair-secs S")?.parse()?,
            "--rtts" => a.rtts = Some(list(it.next(), "--rtts")?),
            "--rates" => a.rates = Some(list(it.next(), "--rates")?),
            "--losses" => {
                let l: Vec<f64> = list(it.next(), "--losses")?;
                a.losses = Some(l.into_iter().map(|p| p / 100.0).collect());
            }
            "--fair-only" => a.transfers = false,
            "--no-fair" => a.fairness = false,
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

fn mbit(bps: f64) -> String {
    format!("{:.1}", bps / 1e6)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let started = Instant::now();
    let (mut rtts, mut losses, mut rates): (Vec<u64>, Vec<f64>, Vec<u64>) = if args.quick {
        (vec![100], vec![0.0, 0.05], vec![20])
    } else {
        (vec![50, 100, 200], vec![0.0, 0.01, 0.05], vec![20, 100])
    };
    if let Some(v) = args.rtts.clone() {
        rtts = v;
    }
    if let Some(v) = args.rates.clone() {
        rates = v;
    }
    if let Some(v) = args.losses.clone() {
        losses = v;
    }
    if !args.transfers {
        losses.clear();
    }
    let ccs = [
        CongestionChoice::BitChat,
        CongestionChoice::Cubic,
        CongestionChoice::Bbr,
    ];
    println!(
        "Transfer of {} MiB per run, cap {} s; loss on the data direction, one-BDP drop-tail queue.\n",
        args.size >> 20,
        args.cap.as_secs()
    );
    println!("| RTT ms | loss % | Mbit/s | bitchat Mbit/s | cubic Mbit/s | bbr Mbit/s | bitchat/cubic | bbr/cubic | bitchat s | cubic s | bbr s |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut seed = 1;
    for &rate in &rates {
        for &rtt in &rtts {
            for &loss in &losses {
                let link = LinkParams {
                    rtt: Duration::from_millis(rtt),
                    loss,
                    rate_bps: rate * 1_000_000,
                };
                let mut res = Vec::new();
                for cc in ccs {
                    seed += 1;
                    // Same seed for every controller in a cell: the same loss pattern.
                    res.push(
                        single_transfer(link, cc, args.size, args.cap, seed - (seed % 3)).await?,
                    );
                }
                let cubic = res[1].goodput_bps();
                let secs = |r: &bithive_bitchat::bench::TransferResult| {
                    if r.completed {
                        format!("{:.2}", r.elapsed.as_secs_f64())
                    } else {
                        format!(">{}", args.cap.as_secs())
                    }
                };
                println!(
                    "| {rtt} | {} | {rate} | {} | {} | {} | {:.2} | {:.2} | {} | {} | {} |",
                    loss * 100.0,
                    mbit(res[0].goodput_bps()),
                    mbit(cubic),
                    mbit(res[2].goodput_bps()),
                    res[0].goodput_bps() / cubic.max(1.0),
                    res[2].goodput_bps() / cubic.max(1.0),
                    secs(&res[0]),
                    secs(&res[1]),
                    secs(&res[2]),
                );
            }
        }
    }
    println!(
        "\nTwo competing flows, {} s each (first 2 s excluded), 0 % loss:\n",
        args.fair_secs
    );
    println!("| RTT ms | Mbit/s | pair | flow 1 Mbit/s | flow 2 Mbit/s | Jain |");
    println!("|---|---|---|---|---|---|");
    let pairs = [
        [CongestionChoice::BitChat, CongestionChoice::BitChat],
        [CongestionChoice::BitChat, CongestionChoice::Cubic],
        [CongestionChoice::Cubic, CongestionChoice::Cubic],
    ];
    let fair_rtts: Vec<u64> = if !args.fairness {
        Vec::new()
    } else if args.quick {
        vec![100]
    } else {
        rtts.iter()
            .copied()
            .filter(|r| [50, 100].contains(r))
            .collect()
    };
    for &rate in &rates {
        for &rtt in &fair_rtts {
            for pair in pairs {
                if args.quick && pair == pairs[2] {
                    continue;
                }
                let link = LinkParams {
                    rtt: Duration::from_millis(rtt),
                    loss: 0.0,
                    rate_bps: rate * 1_000_000,
                };
                let d = Duration::from_secs(args.fair_secs);
                let g = competing(link, pair, d, Duration::from_secs(2), 11).await?;
                println!(
                    "| {rtt} | {rate} | {} vs {} | {} | {} | {:.3} |",
                    pair[0],
                    pair[1],
                    mbit(g[0]),
                    mbit(g[1]),
                    jain(&g)
                );
            }
        }
    }
    println!(
        "\nTotal bench time {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
