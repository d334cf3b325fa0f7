//! Answers that depart from the spec on purpose, so that services (and this
//! project's tests) can prove their drift detection end to end.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// One way the sandbox's successful API answers depart from the spec.
///
/// Set with `Sandbox::set_drift`, or `pinelabs sandbox --drift KIND`. The
/// token endpoint never drifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Drift {
    /// An extra field: every listed token's `card_data` gains
    /// `tokenised_by`, and a delete answer gains `deleted_at`.
    ExtraField,
    /// An unknown enum value: every listed token's `status` is `PAUSED`, and
    /// a delete answer's status is `REMOVED`.
    UnknownEnumValue,
    /// A documented field missing: every listed token lacks its required
    /// `token_id`.
    MissingField,
    /// A null where the spec forbids it: the list's required `customer_id`
    /// is `null`.
    NullField,
    /// A value of another type: every listed token's `is_compliant` is the
    /// string `"yes"`.
    WrongType,
    /// A body that is not JSON: the API answers `200` with an HTML page.
    NotJson,
    /// An undocumented status: the API answers `409` with the JSON error body.
    UndocumentedStatus,
}

impl Drift {
    /// Every kind, in order.
    pub const ALL: &'static [Drift] = &[
        Drift::ExtraField,
        Drift::UnknownEnumValue,
        Drift::MissingField,
        Drift::NullField,
        Drift::WrongType,
        Drift::NotJson,
        Drift::UndocumentedStatus,
    ];

    /// Its name on the command line: `extra-field`, ...
    pub fn name(self) -> &'static str {
        match self {
            Drift::ExtraField => "extra-field",
            Drift::UnknownEnumValue => "unknown-enum-value",
            Drift::MissingField => "missing-field",
            Drift::NullField => "null-field",
            Drift::WrongType => "wrong-type",
            Drift::NotJson => "not-json",
            Drift::UndocumentedStatus => "undocumented-status",
        }
    }

    /// The kind named `name` (see [`name`](Self::name)).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|d| d.name() == name)
    }
}

/// Applies the body drifts to a successful answer's JSON.
pub(crate) fn apply(drifts: &BTreeSet<Drift>, body: &mut Value) {
    let is_list = body.get("tokens").is_some();
    for drift in drifts {
        if is_list {
            list(*drift, body);
        } else {
            deleted(*drift, body);
        }
    }
}

fn list(drift: Drift, body: &mut Value) {
    if drift == Drift::NullField {
        body["customer_id"] = Value::Null;
        return;
    }
    let Some(tokens) = body.get_mut("tokens").and_then(Value::as_array_mut) else {
        return;
    };
    for token in tokens.iter_mut().filter_map(Value::as_object_mut) {
        match drift {
            Drift::ExtraField => {
                if let Some(Value::Object(card)) = token.get_mut("card_data") {
                    card.insert("tokenised_by".into(), json!("sandbox-network"));
                }
            }
            Drift::UnknownEnumValue => {
                token.insert("status".into(), json!("PAUSED"));
            }
            Drift::MissingField => {
                token.remove("token_id");
            }
            Drift::WrongType => {
                token.insert("is_compliant".into(), json!("yes"));
            }
            _ => {}
        }
    }
}

fn deleted(drift: Drift, body: &mut Value) {
    let Some(answer) = body.as_object_mut() else {
        return;
    };
    match drift {
        Drift::ExtraField => {
            answer.insert("deleted_at".into(), json!("2024-10-04T13:11:29.645591Z"));
        }
        Drift::UnknownEnumValue => {
            answer.insert("status".into(), json!("REMOVED"));
        }
        _ => {}
    }
}
