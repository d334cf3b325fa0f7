//! What the drift monitor says, as a metrics recorder and a log subscriber
//! receive it: one warn event per distinct finding, a count per answer, and
//! never a value of the customer's. Its own binary, one test at a time:
//! tracing's callsite interest is global, and a test without a subscriber
//! running beside these would hide their events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{collections::BTreeMap, sync::Mutex};

use common::{Captured, sandbox_client};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use pinelabs::{DeleteToken, DriftDetection, telemetry::SPEC_DRIFT};
use pinelabs_sandbox::{Drift, SEED_CUSTOMER_ID, Sandbox};

/// One test at a time in this binary.
static SERIAL: Mutex<()> = Mutex::new(());

/// Spec-drift counter series: labels → count.
type Counts = BTreeMap<BTreeMap<String, String>, u64>;

/// Runs `calls` with a local metrics recorder and a captured subscriber;
/// the drift counters and the log text.
fn observed<F: std::future::Future<Output = ()>>(calls: impl FnOnce() -> F) -> (Counts, String) {
    use tracing_subscriber::{filter::Targets, layer::SubscriberExt};
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let captured = Captured::default();
    // Everything the client logs, at every level (the sandbox's own logs
    // and the HTTP stack's are not the client's).
    let only_the_client = Targets::new()
        .with_target("pinelabs", tracing::Level::TRACE)
        .with_target("pinelabs_sandbox", tracing::level_filters::LevelFilter::OFF);
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish()
        .with(only_the_client);
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    tracing::subscriber::with_default(subscriber, || {
        tracing::callsite::rebuild_interest_cache();
        metrics::with_local_recorder(&recorder, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(calls());
        });
    });
    let mut counts = Counts::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        if key.name() != SPEC_DRIFT {
            continue;
        }
        let labels = key
            .labels()
            .map(|l| (l.key().to_owned(), l.value().to_owned()))
            .collect();
        if let DebugValue::Counter(n) = value {
            counts.insert(labels, n);
        }
    }
    (counts, captured.text())
}

#[test]
fn a_thousand_calls_with_the_same_drift_log_once_and_count_a_thousand() {
    let (counts, logs) = observed(|| async {
        let sandbox = Sandbox::start().await.expect("sandbox");
        sandbox.set_drift(&[Drift::ExtraField]);
        let client = sandbox_client(&sandbox, DriftDetection::OnSurprise);
        for _ in 0..1000 {
            client.list_tokens(SEED_CUSTOMER_ID).await.expect("decodes");
        }
        let seen = client.spec_drift();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].count, 1000);
    });
    let labels: BTreeMap<String, String> = [
        ("operation", "list_customer_tokens"),
        ("kind", "unknown_field"),
        ("path", "tokens[].card_data.tokenised_by"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(counts, Counts::from([(labels, 1000)]));
    let events = logs.matches("departs from the spec").count();
    assert_eq!(events, 1, "{logs}");
    assert!(logs.contains("WARN"), "{logs}");
}

const SECRET_VALUES: &[&str] = &[
    "cust-distinctive-7781",
    "token-distinctive-5512",
    "meta-key-distinctive",
    "meta-value-distinctive-9",
    "4242",
    "Distinctive Issuer Bank",
    "ref-distinctive-33",
];

#[test]
fn no_id_metadata_or_card_value_appears_in_findings_logs_or_labels() {
    let mut reports = String::new();
    let (counts, logs) = observed(|| async {
        let sandbox = Sandbox::start().await.expect("sandbox");
        let mut token =
            pinelabs_sandbox::card_token("cust-distinctive-7781", "token-distinctive-5512", "4242")
                .expect("token");
        token.merchant_metadata = Some(pinelabs::types::MerchantMetadata(BTreeMap::from([(
            "meta-key-distinctive".to_owned(),
            "meta-value-distinctive-9".to_owned(),
        )])));
        if let Some(card) = token.card_data.as_mut() {
            card.issuer_name = Some("Distinctive Issuer Bank".into());
        }
        sandbox.add_token("cust-distinctive-7781", token);
        let client = sandbox_client(&sandbox, DriftDetection::EveryAnswer);
        for drift in Drift::ALL {
            sandbox.set_drift(&[*drift]);
            let _ = client.list_tokens("cust-distinctive-7781").await;
            let body = DeleteToken::new("ref-distinctive-33")
                .metadata("meta-key-distinctive", "meta-value-distinctive-9");
            let _ = client
                .delete_token("cust-distinctive-7781", "token-distinctive-5512", &body)
                .await;
        }
        for seen in client.spec_drift() {
            let f = &seen.finding;
            reports.push_str(&format!("{f}\n{f:?}\n"));
        }
    });
    assert!(counts.len() >= Drift::ALL.len(), "{counts:?}");
    let labels: String = counts.keys().map(|l| format!("{l:?}\n")).collect();
    for text in [&reports, &logs, &labels] {
        for value in SECRET_VALUES {
            assert!(!text.contains(value), "{value} appears in:\n{text}");
        }
    }
    assert!(reports.contains("tokenised_by"), "{reports}");
}
