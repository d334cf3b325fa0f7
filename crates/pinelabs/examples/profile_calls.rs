//! Runs N sequential list calls with one client, for instruction counting:
//!
//! ```sh
//! cargo build --release -p pinelabs --example profile_calls
//! valgrind --tool=callgrind target/release/examples/profile_calls wrapper 1200
//! ```
//!
//! The difference between runs with N = 1200 and N = 200, divided by 1000,
//! is the cost of one call (client and server). See BENCHMARKS.md. Besides
//! `wrapper` (`list_tokens`) and `hand` (the hand-written client), `api`
//! makes the call as a bare `client.api()...send()` (the pipeline without
//! the call's scope) and `generated` with progenitor's client alone, no
//! middleware (the floor of the design: what the pipeline adds is `api`
//! minus `generated`).
//!
//! `profile_calls decode-<plain|generated|detect|full> N` decodes the
//! 1,000-token body N times instead (see `decode`).
//!
//! `profile_calls interleaved ROUNDS` (or `interleaved64`, 64 calls at a
//! time) times the wrapper and the hand-written client side by side
//! instead: each round runs 512 calls of each, in
//! alternating order, and the wrapper/hand-written ratio of each round is
//! collected; it prints the median ratio and its spread (10th to 90th
//! percentile), which drift of a shared machine cannot bias. A third
//! argument, `api` or `generated`, measures that mode against the
//! hand-written client instead of `list_tokens`. It also prints the CPU
//! and its cache sizes: the ratio depends on them.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::{future::IntoFuture, hint::black_box};

use support::{CUSTOMER, clients, runtime};

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "wrapper".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let rt = runtime();
    let cl = clients(&rt);
    if which == "sizes" {
        let w = cl.wrapper.list_tokens(CUSTOMER);
        let h = cl.hand.list_tokens(CUSTOMER);
        let g = cl
            .wrapper
            .api()
            .list_customer_tokens()
            .customer_id(CUSTOMER)
            .send();
        println!(
            "request {} B, response {} B, header map {} B",
            std::mem::size_of::<reqwest::Request>(),
            std::mem::size_of::<reqwest::Response>(),
            std::mem::size_of::<reqwest::header::HeaderMap>()
        );
        println!(
            "future sizes: wrapper {} B, generated send {} B, hand-written {} B",
            std::mem::size_of_val(&w),
            std::mem::size_of_val(&g),
            std::mem::size_of_val(&h)
        );
        return;
    }
    if let Some(decoder) = which.strip_prefix("decode-") {
        return decode(decoder, n);
    }
    // The side measured against the hand-written client: `list_tokens`,
    // or (a third argument) `api` or `generated` as in the modes below.
    let side = args.next().unwrap_or_else(|| "wrapper".into());
    if which == "interleaved" {
        return interleaved(&rt, &cl, n, 1, &side);
    }
    if which == "interleaved64" {
        return interleaved(&rt, &cl, n, 64, &side);
    }
    let generated = generated(&cl);
    rt.block_on(async {
        generated
            .list_customer_tokens()
            .customer_id(CUSTOMER)
            .send()
            .await
            .expect("ok");
        // Warm up the pooled connections.
        cl.wrapper.list_tokens(CUSTOMER).await.expect("ok");
        cl.hand.list_tokens(CUSTOMER).await.expect("ok");
        cl.hyper.get().await;
        for _ in 0..n {
            match which.as_str() {
                "wrapper" => drop(black_box(
                    cl.wrapper.list_tokens(CUSTOMER).await.expect("ok"),
                )),
                "hand" => drop(black_box(cl.hand.list_tokens(CUSTOMER).await.expect("ok"))),
                "generated" => drop(black_box(
                    generated
                        .list_customer_tokens()
                        .customer_id(CUSTOMER)
                        .send()
                        .await
                        .expect("ok"),
                )),
                "api" => drop(black_box(
                    cl.wrapper
                        .api()
                        .list_customer_tokens()
                        .customer_id(CUSTOMER)
                        .send()
                        .await
                        .expect("ok"),
                )),
                "bare" => drop(black_box(
                    cl.hand.list_tokens_bare(CUSTOMER).await.expect("ok"),
                )),
                _ => drop(black_box(cl.hyper.get().await)),
            }
        }
    });
}

/// `profile_calls decode-<plain|generated|detect|full> N`: N decodes of
/// the 1,000-token body: plain serde structs, the generated types, the
/// generated types with drift detection as the client runs it, or with a
/// full drift check every time.
fn decode(decoder: &str, n: usize) {
    use pinelabs::types::CustomerTokens;
    let body = support::thousand_tokens();
    for _ in 0..n {
        match decoder {
            "plain" => drop(black_box(
                serde_json::from_slice::<support::PlainList>(black_box(&body)).expect("ok"),
            )),
            "generated" => drop(black_box(
                serde_json::from_slice::<CustomerTokens>(black_box(&body)).expect("ok"),
            )),
            "detect" => {
                let (list, findings) = support::decode_detecting(black_box(&body));
                assert_eq!(findings, 0);
                drop(black_box(list));
            }
            _ => {
                let list = serde_json::from_slice::<CustomerTokens>(black_box(&body)).expect("ok");
                let findings = pinelabs::drift::check("list_customer_tokens", 200, &body);
                drop(black_box((list, findings)));
            }
        }
    }
}

/// progenitor's client with no middleware, sending the same bearer.
fn generated(cl: &support::Clients) -> pinelabs_api::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let bearer = format!("Bearer {}", support::TOKEN);
    headers.insert("authorization", bearer.parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let hooks = pinelabs_api::hooks::Hooks::none();
    pinelabs_api::Client::new_with_client(cl.wrapper.base_url(), http, hooks)
}

fn interleaved(
    rt: &tokio::runtime::Runtime,
    cl: &support::Clients,
    rounds: usize,
    concurrency: usize,
    side: &str,
) {
    const CALLS: u32 = 512;
    let generated = generated(cl);
    let mut ratios = Vec::with_capacity(rounds);
    let (mut wrapper_total, mut hand_total) = (0.0, 0.0);
    rt.block_on(async {
        for round in 0..rounds {
            let mut wrapper = std::time::Duration::ZERO;
            let mut hand = std::time::Duration::ZERO;
            for first_wrapper in [round % 2 == 0, round % 2 != 0] {
                let started = std::time::Instant::now();
                for _ in 0..CALLS as usize / concurrency {
                    if first_wrapper && side != "wrapper" {
                        let api = if side == "api" {
                            cl.wrapper.api()
                        } else {
                            &generated
                        };
                        let calls = (0..concurrency)
                            .map(|_| api.list_customer_tokens().customer_id(CUSTOMER).send());
                        for r in futures::future::join_all(calls).await {
                            drop(black_box(r.expect("ok")));
                        }
                    } else if first_wrapper {
                        let calls = (0..concurrency)
                            .map(|_| cl.wrapper.list_tokens(CUSTOMER).into_future());
                        for r in futures::future::join_all(calls).await {
                            drop(black_box(r.expect("ok")));
                        }
                    } else {
                        let calls = (0..concurrency).map(|_| cl.hand.list_tokens(CUSTOMER));
                        for r in futures::future::join_all(calls).await {
                            drop(black_box(r.expect("ok")));
                        }
                    }
                }
                if first_wrapper {
                    wrapper = started.elapsed();
                } else {
                    hand = started.elapsed();
                }
            }
            wrapper_total += wrapper.as_secs_f64();
            hand_total += hand.as_secs_f64();
            ratios.push(wrapper.as_secs_f64() / hand.as_secs_f64());
        }
    });
    println!("machine: {}", machine());
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    let per_call = |total: f64| total / f64::from(CALLS) / rounds as f64 * 1e6;
    println!(
        "concurrency {concurrency}, {rounds} rounds x {CALLS} calls each: wrapper {:.1} us, hand-written {:.1} us per call; \
         ratio median {:.3} (p10 {:.3}, p90 {:.3})",
        per_call(wrapper_total),
        per_call(hand_total),
        at(0.5),
        at(0.1),
        at(0.9)
    );
}

/// The CPU and its caches (Linux), printed with every wall-clock figure:
/// the ratio depends on the machine (BENCHMARKS.md, stop 35).
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        let mut fields = cpuinfo.lines().filter_map(|l| l.split_once(':'));
        fields
            .find(|(key, _)| key.trim() == name)
            .map_or("?", |(_, v)| v.trim())
    };
    let caches = (0..8).filter_map(|i| {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
        let kind = match read("type")?.trim() {
            "Data" => "d",
            "Instruction" => "i",
            _ => "",
        };
        Some(format!(
            "L{}{kind} {}",
            read("level")?.trim(),
            read("size")?.trim()
        ))
    });
    format!(
        "{} (family {}, model {}); caches of cpu0: {}",
        field("model name"),
        field("cpu family"),
        field("model"),
        caches.collect::<Vec<_>>().join(", ")
    )
}
