//! Metrics as a recorder receives them: the `metrics-util` debugging
//! recorder (in memory) installed for this thread, a real client against the
//! sandbox. See `pinelabs::telemetry` for the names and labels.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use pinelabs::{
    Client, RetryBudget,
    telemetry::{REQUEST_DURATION, RETRIES, RETRIES_REFUSED, RETRY_BUDGET, TOKEN_FETCHES},
};
use pinelabs_sandbox::{
    Fault, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SEED_CUSTOMER_ID, Sandbox,
};

const LIST_TEMPLATE: &str = "/api/v1/customer/{customer_id}/tokens";

/// A metric's name and sorted labels.
type Series = (String, BTreeMap<String, String>);

/// Runs `calls` on a current-thread runtime with a local debugging recorder;
/// every series recorded, with its value.
fn recorded<F>(calls: impl FnOnce() -> F) -> Vec<(Series, DebugValue)>
where
    F: std::future::Future<Output = ()>,
{
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(calls());
    });
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _unit, _description, value)| {
            let key = key.key();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            ((key.name().to_owned(), labels), value)
        })
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn find<'a>(
    all: &'a [(Series, DebugValue)],
    name: &str,
    want: &BTreeMap<String, String>,
) -> &'a DebugValue {
    all.iter()
        .find(|((n, l), _)| n == name && l == want)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} {want:?} in {all:#?}"))
}

#[test]
fn attempts_retries_and_token_fetches_are_measured() {
    let port = std::sync::Mutex::new(0u16);
    let all = recorded(|| async {
        let sandbox = Sandbox::start().await.expect("sandbox");
        *port.lock().expect("lock") = sandbox.addr().port();
        sandbox.inject_faults(1, Fault::status(503).retry_after(0));
        let client = Client::builder()
            .base_url(sandbox.base_url())
            .client_credentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
            .build()
            .expect("config");
        client.list_tokens(SEED_CUSTOMER_ID).await.expect("retried");

        let refused = Client::builder()
            .base_url(sandbox.base_url())
            .client_credentials(SANDBOX_CLIENT_ID, "wrong")
            .build()
            .expect("config");
        refused
            .list_tokens(SEED_CUSTOMER_ID)
            .await
            .expect_err("refused");
    });
    let port = port.lock().expect("lock").to_string();
    let attempt = |status: &str, error: Option<&str>| {
        let mut pairs = vec![
            ("http.request.method", "GET"),
            ("url.template", LIST_TEMPLATE),
            ("server.address", "127.0.0.1"),
            ("server.port", port.as_str()),
            ("http.response.status_code", status),
        ];
        pairs.extend(error.map(|e| ("error.type", e)));
        labels(&pairs)
    };
    for (status, error) in [("503", Some("503")), ("200", None)] {
        match find(&all, REQUEST_DURATION, &attempt(status, error)) {
            DebugValue::Histogram(seconds) => {
                assert_eq!(seconds.len(), 1, "{status}");
                assert!(seconds[0].0 >= 0.0 && seconds[0].0 < 60.0, "{seconds:?}");
            }
            other => panic!("{other:?}"),
        }
    }
    let retried = labels(&[("url.template", LIST_TEMPLATE), ("error.type", "503")]);
    assert_eq!(find(&all, RETRIES, &retried), &DebugValue::Counter(1));
    let ok = labels(&[("outcome", "ok")]);
    assert_eq!(find(&all, TOKEN_FETCHES, &ok), &DebugValue::Counter(1));
    let refused = labels(&[("outcome", "credentials_refused")]);
    assert_eq!(find(&all, TOKEN_FETCHES, &refused), &DebugValue::Counter(1));
    // No ids in any label.
    for ((_, labels), _) in &all {
        assert!(
            labels.values().all(|v| !v.contains(SEED_CUSTOMER_ID)),
            "{labels:?}"
        );
    }
}

/// The retry budget's figures: the tokens left as a gauge, and the retries
/// it refused as a counter with what was refused.
#[test]
fn the_retry_budget_is_measured() {
    let all = recorded(|| async {
        let sandbox = Sandbox::start().await.expect("sandbox");
        sandbox.inject_faults(6, Fault::status(503).retry_after(0));
        let client = Client::builder()
            .base_url(sandbox.base_url())
            .access_token(sandbox.access_token())
            .retry_budget(RetryBudget::default().capacity(10))
            .build()
            .expect("config");
        for _ in 0..2 {
            client.list_tokens(SEED_CUSTOMER_ID).await.expect_err("503");
        }
    });
    // Call 1: two retries (10 -> 5 -> 0); call 2: its retry is refused.
    let refused = labels(&[("url.template", LIST_TEMPLATE), ("error.type", "503")]);
    assert_eq!(
        find(&all, RETRIES_REFUSED, &refused),
        &DebugValue::Counter(1)
    );
    assert_eq!(find(&all, RETRIES, &refused), &DebugValue::Counter(2));
    assert_eq!(
        find(&all, RETRY_BUDGET, &BTreeMap::new()),
        &DebugValue::Gauge(0.0.into())
    );
}
