//! `pinelabs spec-check`: calls the spec's read-only operations with every
//! answer checked in full against the spec, and prints each departure with
//! the spec edit it implies.

use pinelabs::{Client, DriftReport, Error};

use crate::edit::SpecEdit;
use serde_json::json;

/// The read-only operations spec-check calls. A test fails when the spec's
/// read-only (GET) operations are not exactly these, so a new one is not
/// left unchecked.
pub const CALLED: &[&str] = &["list_customer_tokens"];

/// A customer id that does not exist: its answer checks the documented
/// error shape too.
const PROBE_CUSTOMER: &str = "cust-spec-check-probe-0000";

/// How one answer ended, for spec-check.
pub enum Called {
    /// An answer arrived (a success, an error status, or a body that does
    /// not decode): the monitor checked it.
    Answered,
    /// No answer to check, or one that makes the rest pointless.
    Stop(Error),
}

impl Called {
    fn of<T>(result: Result<T, Error>) -> Self {
        match result {
            Ok(_) => Called::Answered,
            // Refused credentials or permissions: every call would fail.
            Err(e @ (Error::Auth { .. } | Error::TokenUnavailable { .. })) => Called::Stop(e),
            Err(
                e @ Error::Api {
                    status: 401 | 403, ..
                },
            ) => Called::Stop(e),
            Err(Error::Api { .. } | Error::Decode { .. }) => Called::Answered,
            Err(e) => Called::Stop(e),
        }
    }
}

/// Lists each customer's tokens (and a customer that does not exist);
/// the number of answers checked.
pub async fn call_all(client: &Client, customer_ids: &[String]) -> Result<usize, Error> {
    let probe = std::iter::once(PROBE_CUSTOMER);
    let mut answers = 0;
    for customer_id in customer_ids.iter().map(String::as_str).chain(probe) {
        match Called::of(client.list_tokens(customer_id).await) {
            Called::Answered => answers += 1,
            Called::Stop(e) => return Err(e),
        }
    }
    Ok(answers)
}

/// The findings as text: each with its count and its spec edit.
pub fn text(base_url: &str, answers: usize, reports: &[DriftReport]) -> String {
    let version = pinelabs::spec::API_VERSION;
    let mut out = format!(
        "spec-check: {answers} answers of {} from {base_url} checked against the spec (version {version})\n",
        CALLED.join(", ")
    );
    if reports.is_empty() {
        out.push_str("no drift: every answer matches the spec\n");
        return out;
    }
    for report in reports {
        let edit = SpecEdit::of(report);
        out.push_str(&format!(
            "\ndrift: {} ({} answer{})\n  spec edit, under {}:\n",
            report.finding,
            report.count,
            if report.count == 1 { "" } else { "s" },
            edit.location()
        ));
        for line in edit.text().lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out.push_str(
        "\nAdopt them with `cargo xtask adopt` and the same options (spec edit, snapshot, version, \
         CHANGELOG), or paste each edit into openapi/pinelabs-online.yaml by hand \
         (README: \"When the live API changes\").\n",
    );
    out
}

/// The findings as JSON.
pub fn json(base_url: &str, answers: usize, reports: &[DriftReport]) -> String {
    let findings: Vec<_> = reports
        .iter()
        .map(|r| {
            let (f, edit) = (&r.finding, SpecEdit::of(r));
            json!({
                "operation_id": f.operation_id,
                "kind": f.kind.as_str(),
                "path": f.path,
                "status": f.status,
                "schema": f.schema,
                "property": f.property,
                "observed": f.observed,
                "value": f.value,
                "count": r.count,
                "message": f.to_string(),
                "spec_location": edit.location(),
                "spec_edit": edit.text(),
                "adopt": edit.adoption(),
            })
        })
        .collect();
    let out = json!({
        "base_url": base_url,
        "spec_version": pinelabs::spec::API_VERSION,
        "answers": answers,
        "drift": !findings.is_empty(),
        "findings": findings,
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_check_calls_exactly_the_specs_read_only_operations() {
        let read_only: Vec<_> = pinelabs::spec::OPERATIONS
            .iter()
            .filter(|op| op.method == "GET")
            .map(|op| op.operation_id)
            .collect();
        assert_eq!(read_only, CALLED);
    }
}
