//! Open enums: what every enum of the spec becomes instead of typify's
//! closed enums.
//!
//! The macro is hand-written; its invocations are generated from the spec's
//! values (see `pinelabs-codegen`), so a value added to the spec becomes a
//! known variant on the next build, with no list kept by hand.
//!
//! Pine Labs' documentation disagrees with itself on enum values (`Consumer`
//! vs `CONSUMER`, `DELETED` as a token status that the status list does not
//! have). A closed enum would turn each such surprise into a decode failure
//! in production, so every enum of the spec is replaced (through
//! `GenerationSettings::with_replacement` in `pinelabs-codegen`) by one of
//! these types:
//!
//! * a known value decodes into its variant, **ignoring ASCII case**, and
//!   serialises in the documented (upper-case) spelling;
//! * any other string decodes into `Unknown(String)` and displays and
//!   serialises back exactly as received;
//! * decoding an unknown value [notes](crate::drift::note) it for the
//!   wrapper's drift monitor;
//! * every enum is `#[non_exhaustive]`: a value added to the spec is a new
//!   variant, which is then not a breaking change for a `match` elsewhere.
//!
//! ```
//! use pinelabs_api::open_enum::CardCategory;
//!
//! let known: CardCategory = serde_json::from_str(r#""Consumer""#).unwrap();
//! assert_eq!(known, CardCategory::Consumer);
//! let unknown: CardCategory = serde_json::from_str(r#""Titanium""#).unwrap();
//! assert_eq!(unknown.to_string(), "Titanium");
//! assert_eq!(serde_json::to_string(&unknown).unwrap(), r#""Titanium""#);
//! ```

use std::fmt;

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        // No `PartialOrd`/`Ord`: a derived order follows the declaration,
        // so a value added to the spec would reorder `Unknown` and silently
        // change comparisons in services.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this client does not know, kept exactly as received.
            Unknown(String),
        }

        impl $name {
            /// Every documented value, in the spec's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling: the documented one for a known value, the
            /// received one for an unknown value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(other) => other,
                }
            }

            /// Whether this is a value the documentation does not list.
            pub fn is_unknown(&self) -> bool {
                matches!(self, $name::Unknown(_))
            }

            /// Parses a wire value; known values match regardless of ASCII case.
            pub fn parse(value: &str) -> Self {
                $( if value.eq_ignore_ascii_case($wire) { return $name::$variant; } )+
                $name::Unknown(value.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(value))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::parse(value)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::parse(&value)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a string value of ", stringify!($name)))
                    }

                    // A known value allocates nothing.
                    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        let parsed = $name::parse(value);
                        if parsed.is_unknown() {
                            crate::drift::note();
                        }
                        Ok(parsed)
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                open_schema(&[$($wire),+])
            }
        }
    };
}

/// The JSON schema of an open enum: any string, with the known values as examples.
fn open_schema(known: &[&str]) -> schemars::schema::Schema {
    use schemars::schema::{InstanceType, Metadata, SchemaObject};
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        metadata: Some(Box::new(Metadata {
            description: Some(format!(
                "An open set: one of {} (any case), or any other string.",
                known.join(", ")
            )),
            examples: known.iter().map(|k| serde_json::Value::from(*k)).collect(),
            ..Default::default()
        })),
        ..Default::default()
    }
    .into()
}

// One `open_enum!` per enum of the spec (named or inline), generated from
// the spec's values by `pinelabs-codegen`, plus the `registry` module.
include!(concat!(env!("OUT_DIR"), "/open_enums.rs"));
