//! The client's drift monitor: which answers are checked against the spec,
//! and what the client keeps and says of each [`Finding`].
//!
//! **Which answers.** A full check ([`drift::check`]) reads the body a
//! second time, so by default ([`DriftDetection::OnSurprise`]) it runs only
//! when the answer gives a reason to:
//! * decoding it noted a key or an enum value the spec does not have
//!   (`pinelabs_api::drift`: the generated types note them as they decode);
//! * it did not decode, or its status is not documented;
//! * its type has an optional property that the spec says cannot be null, a
//!   `null` there decoding as `None` without a note (the token answer's
//!   `access_token`).
//!
//! An answer that decodes cleanly into a type without such properties
//! costs nothing more. [`DriftDetection::EveryAnswer`] checks every answer
//! (what `pinelabs spec-check` uses); [`DriftDetection::Off`] none.
//!
//! **What is said.** Each finding adds 1 to the counter
//! [`SPEC_DRIFT`](crate::telemetry::SPEC_DRIFT) (labels `operation`, `kind`,
//! `path`); the first of each distinct finding logs one `warn` event; and
//! [`Client::spec_drift`](crate::Client::spec_drift) returns every distinct
//! finding with its count and when it was first seen.

use std::{
    collections::BTreeMap,
    sync::{Mutex, MutexGuard},
    time::SystemTime,
};

use pinelabs_api::spec;

use crate::{
    drift::{self, Finding},
    telemetry,
};

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
pub const MAX_DISTINCT_FINDINGS: usize = 256;

/// The drift monitor of one client.
#[derive(Debug, Default)]
pub(crate) struct Monitor {
    mode: DriftDetection,
    seen: Mutex<BTreeMap<Finding, DriftReport>>,
}

impl Monitor {
    pub(crate) fn new(mode: DriftDetection) -> Self {
        Self {
            mode,
            seen: Mutex::default(),
        }
    }

    /// Whether answers are kept for a check.
    pub(crate) fn is_on(&self) -> bool {
        self.mode != DriftDetection::Off
    }

    /// Checks one answer if it needs it: `notes` made while decoding it,
    /// and whether the generated client failed to decode it.
    pub(crate) fn inspect(
        &self,
        operation: &spec::Operation,
        status: u16,
        body: &[u8],
        notes: u32,
        failed: bool,
    ) {
        let needed = match self.mode {
            DriftDetection::Off => false,
            DriftDetection::EveryAnswer => true,
            DriftDetection::OnSurprise => drift::needs_check_of(operation, status, notes, failed),
        };
        if needed {
            self.record(drift::check(operation.operation_id, status, body));
        }
    }

    /// Counts, logs (once) and keeps each finding.
    pub(crate) fn record(&self, findings: Vec<Finding>) {
        for finding in findings {
            telemetry::spec_drift(&finding);
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
                    if seen.len() == MAX_DISTINCT_FINDINGS {
                        tracing::warn!(
                            "the drift monitor keeps no more distinct findings; later ones are only counted"
                        );
                    }
                }
                // Full: the metric still counts it.
                None => {}
            }
        }
    }

    /// Every distinct finding kept, in a stable order.
    pub(crate) fn report(&self) -> Vec<DriftReport> {
        self.seen().values().cloned().collect()
    }

    fn seen(&self) -> MutexGuard<'_, BTreeMap<Finding, DriftReport>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
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
