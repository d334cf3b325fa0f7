//! Criterion benchmarks: the `pinelabs` wrapper against a hand-written
//! reqwest + serde client and raw hyper (the floor), side by side on the same
//! in-process loopback server returning the documentation's list body; and
//! decoding a 1,000-token body with the generated types (alone, with drift
//! detection as the client runs it, and with a full drift check) vs plain
//! serde structs. Method and figures: BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::{future::IntoFuture, hint::black_box, time::Duration};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pinelabs::types::CustomerTokens;
use support::{CUSTOMER, PlainList, clients, runtime, thousand_tokens};

const CONCURRENCY: usize = 64;

fn latency(c: &mut Criterion) {
    let rt = runtime();
    let cl = clients(&rt);
    let mut group = c.benchmark_group("latency");
    group.bench_function("pinelabs", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cl.wrapper.list_tokens(CUSTOMER).await.expect("ok")) })
    });
    group.bench_function("hand_written", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cl.hand.list_tokens(CUSTOMER).await.expect("ok")) })
    });
    group.bench_function("hand_written_bare", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cl.hand.list_tokens_bare(CUSTOMER).await.expect("ok")) })
    });
    group.bench_function("raw_hyper", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cl.hyper.get().await) })
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    let cl = clients(&rt);
    let mut group = c.benchmark_group("throughput_c64");
    group.throughput(Throughput::Elements(CONCURRENCY as u64));
    group.bench_function("pinelabs", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = (0..CONCURRENCY).map(|_| cl.wrapper.list_tokens(CUSTOMER).into_future());
            for r in futures::future::join_all(calls).await {
                black_box(r.expect("ok"));
            }
        })
    });
    group.bench_function("hand_written", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = (0..CONCURRENCY).map(|_| cl.hand.list_tokens(CUSTOMER));
            for r in futures::future::join_all(calls).await {
                black_box(r.expect("ok"));
            }
        })
    });
    group.bench_function("raw_hyper", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = (0..CONCURRENCY).map(|_| cl.hyper.get());
            black_box(futures::future::join_all(calls).await);
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let body = thousand_tokens();
    let mut group = c.benchmark_group("decode_1000_tokens");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("generated", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<CustomerTokens>(black_box(&body)).expect("ok"))
        })
    });
    group.bench_function("generated_drift_detection", |b| {
        b.iter(|| {
            let (list, findings) = support::decode_detecting(black_box(&body));
            assert_eq!(findings, 0);
            black_box(list)
        })
    });
    group.bench_function("generated_full_check", |b| {
        b.iter(|| {
            let list = serde_json::from_slice::<CustomerTokens>(black_box(&body)).expect("ok");
            let findings = pinelabs::drift::check("list_customer_tokens", 200, &body);
            black_box((list, findings))
        })
    });
    group.bench_function("plain_serde", |b| {
        b.iter(|| black_box(serde_json::from_slice::<PlainList>(black_box(&body)).expect("ok")))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(60)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    targets = latency, throughput, decode
}
criterion_main!(benches);
