//! A client's drift monitor: which answers are checked against the spec
//! (as [`drift`] says), and what the client keeps and says of each
//! [`Finding`].
//!
//! **Which answers.** By default ([`DriftDetection::OnSurprise`]) an answer
//! is checked in full when its status is undocumented or its type can hide
//! drift from the decode ([`drift::must_check`]), or when decoding it
//! noted a surprise or failed. The last two are only known after the
//! generated code has decoded the answer, so the monitor hands the body on
//! as bytes whose owner looks at the decode's notes when it is dropped:
//! right after a successful decode, or when the error of a failed one is
//! mapped (which notes the failure). An answer that decodes cleanly costs
//! one allocation more. [`DriftDetection::EveryAnswer`] checks every answer
//! (what `pinelabs spec-check` uses); [`DriftDetection::Off`] none.
//!
//! **What is said.** Each finding adds 1 to the counter
//! [`SPEC_DRIFT`] (labels `operation`, `kind`, `path`; never a value); the
//! first of each distinct finding logs one `warn` event; and
//! [`Monitor::report`] returns every distinct finding with its count and
//! when it was first seen.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard},
    time::SystemTime,
};

use bytes::Bytes;

use crate::{
    drift::{self, Finding},
    spec::Operation,
};

/// Counter of answers departing from the spec, by operation, kind and path.
pub const SPEC_DRIFT: &str = "pinelabs.client.spec_drift";

/// Which answers the client checks against the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DriftDetection {
    /// None.
    Off,
    /// Those that give a reason to (the default; see the module docs).
    #[default]
    OnSurprise,
    /// Every answer, in full (for a scheduled check, not for production
    /// traffic: it reads every body twice).
    EveryAnswer,
}

/// One distinct finding, as a client has seen it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriftReport {
    /// What departs from the spec (for an unknown enum value, with the value).
    pub finding: Finding,
    /// How many answers showed it.
    pub count: u64,
    /// When the client first saw it.
    pub first_seen: SystemTime,
}

/// A client keeps at most this many distinct findings; later ones are
/// still counted in the metric and logged, not kept.
const MAX_DISTINCT_FINDINGS: usize = 256;

/// The drift monitor of one client.
#[derive(Debug, Default)]
pub struct Monitor {
    mode: DriftDetection,
    seen: Mutex<BTreeMap<Finding, DriftReport>>,
}

impl Monitor {
    /// A monitor checking the answers `mode` says.
    pub fn new(mode: DriftDetection) -> Self {
        Self {
            mode,
            seen: Mutex::default(),
        }
    }

    /// The body of an answer of `op` with `status`, handed on to the
    /// generated code: checked now, checked when its decode has noted
    /// something, or not at all.
    pub fn watch(self: &Arc<Self>, op: &'static Operation, status: u16, body: Bytes) -> Bytes {
        match self.mode {
            DriftDetection::Off => body,
            DriftDetection::OnSurprise if !drift::must_check(op, status) => {
                // From here to the body's drop, notes are its decode's.
                drift::take();
                let monitor = self.clone();
                Bytes::from_owner(Seen {
                    monitor,
                    op,
                    status,
                    body,
                })
            }
            _ => {
                self.inspect(op, status, &body);
                body
            }
        }
    }

    /// Checks one answer in full and records what it finds.
    fn inspect(&self, op: &Operation, status: u16, body: &[u8]) {
        for finding in drift::check(op.operation_id, status, body) {
            let labels = [
                ("operation", finding.operation_id.to_owned()),
                ("kind", finding.kind.as_str().to_owned()),
                ("path", finding.path.clone()),
            ];
            metrics::counter!(SPEC_DRIFT, &labels).increment(1);
            let mut seen = self.seen();
            let room = seen.len() < MAX_DISTINCT_FINDINGS;
            match seen.get_mut(&finding) {
                Some(report) => report.count += 1,
                None if room => {
                    warn(&finding);
                    let report = DriftReport {
                        finding: finding.clone(),
                        count: 1,
                        first_seen: SystemTime::now(),
                    };
                    seen.insert(finding, report);
                }
                // Full: the metric still counts it.
                None => {}
            }
        }
    }

    /// Every distinct finding kept, in a stable order.
    pub fn report(&self) -> Vec<DriftReport> {
        self.seen().values().cloned().collect()
    }

    fn seen(&self) -> MutexGuard<'_, BTreeMap<Finding, DriftReport>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An answer's body, owned until the generated code is done with it.
struct Seen {
    monitor: Arc<Monitor>,
    op: &'static Operation,
    status: u16,
    body: Bytes,
}

impl AsRef<[u8]> for Seen {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for Seen {
    fn drop(&mut self) {
        if drift::take() > 0 {
            self.monitor.inspect(self.op, self.status, &self.body);
        }
    }
}

/// The one log event of a distinct finding.
fn warn(finding: &Finding) {
    tracing::warn!(
        operation = finding.operation_id,
        kind = finding.kind.as_str(),
        path = %finding.path,
        value = finding.value.as_deref(),
        "the live Pine Labs API departs from the spec: {finding}; `pinelabs spec-check` prints the spec edit"
    );
}
