//! The success envelope every endpoint answers with (API-NOTES §4).

use crate::extract::{elapsed_ms, QueryParams, Tenant};
use actix_web::{HttpRequest, HttpResponse};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;

/// The parts are serialized once, straight to JSON text, when they are set: no value tree is
/// built and walked again.
#[derive(Default)]
pub struct Envelope {
    action: Option<String>,
    path: Option<String>,
    entities: Option<Box<RawValue>>,
    data: Option<Box<RawValue>>,
    count: Option<i64>,
    cursor: Option<String>,
    extra: Vec<(String, Box<RawValue>)>,
}

fn raw(v: impl Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(&v).unwrap_or_else(|e| {
        tracing::error!(error = %e, "response serialization failed");
        RawValue::NULL.to_owned()
    })
}

impl Envelope {
    pub fn new() -> Self {
        Self::default()
    }

    /// Overrides the default `action` (the lowercase HTTP method).
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// The resource path shown in `path` (defaults to the path after the tenant prefix).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn entities<T: Serialize>(mut self, items: impl IntoIterator<Item = T>) -> Self {
        let items: Vec<T> = items.into_iter().collect();
        self.entities = Some(raw(&items));
        self
    }

    pub fn data(mut self, data: impl Serialize) -> Self {
        self.data = Some(raw(data));
        self
    }

    pub fn count(mut self, n: usize) -> Self {
        self.count = Some(n as i64);
        self
    }

    /// Sets `cursor` only when another page exists.
    pub fn cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }

    /// A field of the endpoint's own; it replaces a common field of the same name.
    pub fn field(mut self, name: &str, value: impl Serialize) -> Self {
        self.extra.push((name.to_owned(), raw(value)));
        self
    }

    pub fn respond(self, req: &HttpRequest, tenant: &Tenant) -> HttpResponse {
        let conn = req.connection_info();
        let uri = format!("{}://{}{}", conn.scheme(), conn.host(), req.path());
        let path = self.path.unwrap_or_else(|| tenant_relative_path(req));
        let action = self
            .action
            .unwrap_or_else(|| req.method().as_str().to_ascii_lowercase());
        let params = QueryParams::from_request(req);
        let mut body: Vec<(&str, Box<RawValue>)> = vec![
            ("action", raw(action)),
            ("application", raw(tenant.id)),
            ("uri", raw(uri)),
            ("path", raw(path)),
            ("entities", self.entities.unwrap_or_else(|| raw([(); 0]))),
        ];
        if let Some(d) = self.data {
            body.push(("data", d));
        }
        body.push(("timestamp", raw(chrono::Utc::now().timestamp_millis())));
        body.push(("duration", raw(elapsed_ms(req))));
        body.push(("organization", raw(&tenant.org_name)));
        body.push(("applicationName", raw(&tenant.app_name)));
        if !params.is_empty() {
            body.push(("params", raw(params.to_json())));
        }
        if let Some(c) = self.count {
            body.push(("count", raw(c)));
        }
        if let Some(c) = self.cursor {
            body.push(("cursor", raw(c)));
        }
        for (name, value) in &self.extra {
            match body.iter_mut().find(|(k, _)| k == name) {
                Some(slot) => slot.1 = value.clone(),
                None => body.push((name, value.clone())),
            }
        }
        match serde_json::to_vec(&Object(&body)) {
            Ok(bytes) => HttpResponse::Ok()
                .content_type("application/json")
                .body(bytes),
            Err(e) => {
                tracing::error!(error = %e, "response serialization failed");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

/// Fields in the order given.
struct Object<'a>(&'a [(&'a str, Box<RawValue>)]);

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `/org/app/users/u1` and `/app-id/x/users/u1` both give `/users/u1`: either prefix is two
/// segments.
fn tenant_relative_path(req: &HttpRequest) -> String {
    let rest: Vec<&str> = req.path().trim_start_matches('/').splitn(3, '/').collect();
    match rest.get(2) {
        Some(r) => format!("/{r}"),
        None => "/".to_owned(),
    }
}

/// Declares a documentation schema for an envelope (the wire shape is built by [`Envelope`]).
///
/// Every envelope has the common fields; `entities = T` gives the item type of `entities`
/// (`entities = []` for endpoints that always answer `[]`), and the optional block adds the
/// endpoint's own fields (`data`, `count`, `cursor`, `properties`), each required when the
/// endpoint always sends it and `Option` + `#[schema(nullable = false)]` when it may be absent.
#[macro_export]
macro_rules! envelope_schema {
    ($(#[$meta:meta])* $name:ident, entities = [] $(, { $($extra:tt)* })?) => {
        $crate::envelope_schema!(@build $(#[$meta])* $name,
            #[schema(max_items = 0)]
            pub entities: Vec<serde_json::Value>,
            { $($($extra)*)? });
    };
    ($(#[$meta:meta])* $name:ident, entities = $ent:ty $(, { $($extra:tt)* })?) => {
        $crate::envelope_schema!(@build $(#[$meta])* $name,
            pub entities: Vec<$ent>,
            { $($($extra)*)? });
    };
    (@build $(#[$meta:meta])* $name:ident, $(#[$emeta:meta])* pub entities: $etype:ty, { $($extra:tt)* }) => {
        $(#[$meta])*
        #[allow(non_snake_case, dead_code)]
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// The lowercase HTTP method, or the operation's name.
            pub action: String,
            /// The app's uuid.
            pub application: String,
            /// The full request URL.
            pub uri: String,
            /// The resource path after the tenant prefix.
            pub path: String,
            $(#[$emeta])*
            pub entities: $etype,
            /// Milliseconds since the epoch.
            pub timestamp: i64,
            /// Milliseconds spent on the request.
            pub duration: i64,
            pub organization: String,
            pub applicationName: String,
            /// The query parameters, echoed as `{"name": ["value"]}`; present when the request
            /// had a query string.
            #[schema(nullable = false)]
            pub params: Option<std::collections::BTreeMap<String, Vec<String>>>,
            $($extra)*
        }
    };
}
