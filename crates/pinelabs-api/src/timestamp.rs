//! [`Timestamp`]: the hand-written type for every `format: date-time` field.
//!
//! Pine Labs documents ISO-8601 UTC timestamps, and its samples use 3 or 6
//! decimals. A production client should not lose a whole token list because
//! one timestamp is written differently, so `pinelabs-codegen` maps the
//! spec's `date-time` strings to this type (a progenitor *conversion*):
//!
//! * RFC 3339 with any offset and any number of decimals → [`Timestamp::Utc`];
//! * the same without an offset (`2024-10-04T13:11:29.645`) → read as UTC;
//! * anything else (say `""`) → [`Timestamp::Unparsed`], kept as received.
//!
//! ```
//! use pinelabs_api::timestamp::Timestamp;
//!
//! let t: Timestamp = serde_json::from_str(r#""2024-10-04T13:11:29.645591Z""#).unwrap();
//! assert_eq!(t.as_datetime().map(|d| d.timestamp()), Some(1728047489));
//! let odd: Timestamp = serde_json::from_str(r#""soon""#).unwrap();
//! assert_eq!(odd, Timestamp::Unparsed("soon".into()));
//! assert_eq!(odd.to_string(), "soon");
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// A point in time as Pine Labs sent it: parsed when it is ISO-8601, kept as
/// text when it is not.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timestamp {
    /// A timestamp that parsed, in UTC.
    Utc(DateTime<Utc>),
    /// A value that is not an ISO-8601 timestamp, exactly as received.
    Unparsed(String),
}

impl Timestamp {
    /// Parses leniently (see the module docs); never fails.
    pub fn parse(value: &str) -> Self {
        if let Ok(t) = DateTime::parse_from_rfc3339(value) {
            return Timestamp::Utc(t.with_timezone(&Utc));
        }
        if let Ok(naive) = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f") {
            return Timestamp::Utc(naive.and_utc());
        }
        Timestamp::Unparsed(value.to_owned())
    }

    /// The time, if the value parsed.
    pub fn as_datetime(&self) -> Option<DateTime<Utc>> {
        match self {
            Timestamp::Utc(t) => Some(*t),
            Timestamp::Unparsed(_) => None,
        }
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp::Utc(t)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with as many decimals as needed, or the text as received.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timestamp::Utc(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Timestamp::Unparsed(s) => f.write_str(s),
        }
    }
}

impl std::str::FromStr for Timestamp {
    type Err = std::convert::Infallible;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(value))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp string")
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Timestamp, E> {
                Ok(Timestamp::parse(value))
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> String {
        "Timestamp".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_owned()),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_precision_and_keeps_the_rest() {
        let six = Timestamp::parse("2024-10-04T13:11:29.645591Z");
        let three = Timestamp::parse("2024-08-28T15:00:12.213Z");
        let zero = Timestamp::parse("2025-12-31T23:59:59.000000Z");
        assert_eq!(six.to_string(), "2024-10-04T13:11:29.645591Z");
        assert_eq!(three.to_string(), "2024-08-28T15:00:12.213Z");
        assert_eq!(zero.to_string(), "2025-12-31T23:59:59Z");
        let offset = Timestamp::parse("2024-10-04T18:41:29+05:30");
        assert_eq!(offset.to_string(), "2024-10-04T13:11:29Z");
        let naive = Timestamp::parse("2024-10-04T13:11:29.5");
        assert_eq!(naive.to_string(), "2024-10-04T13:11:29.500Z");
        for odd in ["", "soon", "2024-13-45T99:99:99Z"] {
            assert_eq!(Timestamp::parse(odd), Timestamp::Unparsed(odd.to_owned()));
        }
        assert!(six < Timestamp::parse("2025-01-01T00:00:00Z"));
    }
}
