//! The spec's facts, generated from it at build time: operations (method,
//! route, header parameters), documented examples, the `maxProperties`
//! limits typify does not enforce, and the servers.
//!
//! Hand-written code reads these instead of repeating the spec: the wrapper
//! takes routes and methods for tracing and retry safety from
//! [`OPERATIONS`], the sandbox seeds itself from [`RESPONSE_EXAMPLES`], and
//! tests take the documented error table from [`documented_errors`].
//!
//! ```
//! use pinelabs_api::spec;
//!
//! let list = spec::operation("list_customer_tokens").unwrap();
//! assert_eq!((list.method, list.path), ("GET", "/api/v1/customer/{customer_id}/tokens"));
//! let example = spec::response_example("list_customer_tokens", 200).unwrap();
//! assert!(example.contains("token-v1-1234567890-aa-ABCDEF"));
//! assert!(spec::documented_errors("list_customer_tokens").any(|(status, _)| status == 503));
//! ```

/// One operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// Its `operationId`, e.g. `list_customer_tokens`.
    pub operation_id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/api/v1/customer/{customer_id}/tokens`.
    pub path: &'static str,
    /// Its header parameters, e.g. `Request-ID`.
    pub header_params: &'static [&'static str],
    /// Whether it sends `Authorization: Bearer` (`false` for the token
    /// endpoint, whose spec says `security: []`).
    pub authenticated: bool,
    /// Its documented answers.
    pub responses: &'static [Response],
}

impl Operation {
    /// The documented answer for `status`: its own entry, else `default`.
    pub fn response(&self, status: u16) -> Option<&'static Response> {
        let responses = self.responses;
        responses
            .iter()
            .find(|r| r.status == Some(status))
            .or_else(|| responses.iter().find(|r| r.status.is_none()))
    }
}

/// One documented answer of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// Its status; `None` for `default`.
    pub status: Option<u16>,
    /// The type of its `application/json` body; `None` when it has none.
    pub json: Option<Type>,
}

/// A JSON type of the spec, as a property, an element or a body has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Type {
    /// A schema of `components/schemas`, by name (see [`schema`]).
    Named(&'static str),
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An array of this element type.
    Array(&'static Type),
    /// An object with keys of any name and values of this type.
    Map(&'static Type),
    /// Any JSON value.
    Any,
}

/// A named schema of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Schema {
    /// Its name in `components/schemas`, e.g. `CustomerToken`.
    pub name: &'static str,
    /// What it is.
    pub body: Body,
}

/// What a named schema is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// An object with documented properties.
    Object {
        /// The properties, in the spec's order.
        properties: &'static [Property],
        /// The type of other keys (`additionalProperties`); `None` when the
        /// spec documents no other key.
        additional: Option<Type>,
    },
    /// A string enum with these documented values.
    Enum(&'static [&'static str]),
    /// Another name for a type.
    Alias(Type),
}

/// A property of an object schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Property {
    /// Its key in JSON.
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// Whether the spec lists it in `required`.
    pub required: bool,
    /// Whether the spec allows `null` for it.
    pub nullable: bool,
    /// Other documented spellings of its key, read as it (`x-aliases`).
    pub aliases: &'static [&'static str],
    /// Its `maxProperties`, for an object-valued property (typify does not
    /// enforce it).
    pub max_properties: Option<usize>,
}

impl Property {
    /// Whether `key` is this property's key or one of its aliases.
    pub fn is_named(&self, key: &str) -> bool {
        self.name == key || self.aliases.contains(&key)
    }
}

/// The named schema `name`.
///
/// ```
/// use pinelabs_api::spec::{self, Body};
///
/// let Body::Object { properties, .. } = spec::schema("DeletedToken").unwrap().body else { panic!() };
/// let token_id = properties.iter().find(|p| p.name == "token_id").unwrap();
/// assert!(token_id.is_named("token-id"));
/// ```
pub fn schema(name: &str) -> Option<&'static Schema> {
    SCHEMAS
        .binary_search_by(|s| s.name.cmp(name))
        .ok()
        .and_then(|i| SCHEMAS.get(i))
}

/// A documented response example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseExample {
    /// The operation.
    pub operation_id: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The body, compact JSON.
    pub body: &'static str,
}

/// A server of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Server {
    /// Its base URL.
    pub url: &'static str,
    /// Its description.
    pub description: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/spec_data.rs"));

/// What a call of an operationId the spec does not have is taken for (a
/// generated operation always has one): authenticated, with no documented
/// answer and no route.
pub static UNDOCUMENTED_OPERATION: Operation = Operation {
    operation_id: "",
    method: "",
    path: "",
    header_params: &[],
    authenticated: true,
    responses: &[],
};

/// The operation with this `operationId`.
pub fn operation(operation_id: &str) -> Option<&'static Operation> {
    OPERATIONS
        .binary_search_by(|op| op.operation_id.cmp(operation_id))
        .ok()
        .and_then(|i| OPERATIONS.get(i))
}

/// The documented example body of `operation_id`'s response with `status`.
pub fn response_example(operation_id: &str, status: u16) -> Option<&'static str> {
    RESPONSE_EXAMPLES
        .iter()
        .find(|e| e.operation_id == operation_id && e.status == status)
        .map(|e| e.body)
}

/// The documented error statuses of `operation_id` (4xx and 5xx), with the
/// example body of each.
pub fn documented_errors(operation_id: &str) -> impl Iterator<Item = (u16, &'static str)> + '_ {
    RESPONSE_EXAMPLES
        .iter()
        .filter(move |e| e.operation_id == operation_id && e.status >= 400)
        .map(|e| (e.status, e.body))
}

/// The `maxProperties` of `schema.property`, if the spec sets one.
pub fn max_properties(schema: &str, property: &str) -> Option<usize> {
    match self::schema(schema)?.body {
        Body::Object { properties, .. } => {
            properties
                .iter()
                .find(|p| p.name == property)?
                .max_properties
        }
        _ => None,
    }
}
