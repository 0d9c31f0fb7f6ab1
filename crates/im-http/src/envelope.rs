//! The success envelope every endpoint answers with (API-NOTES §4).

use crate::extract::{elapsed_ms, QueryParams, Tenant};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Default)]
pub struct Envelope {
    action: Option<String>,
    path: Option<String>,
    entities: Vec<Value>,
    data: Option<Value>,
    count: Option<i64>,
    cursor: Option<String>,
    extra: Map<String, Value>,
}

fn to_value(v: impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| {
        tracing::error!(error = %e, "response serialization failed");
        Value::Null
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
        self.entities = items.into_iter().map(to_value).collect();
        self
    }

    pub fn data(mut self, data: impl Serialize) -> Self {
        self.data = Some(to_value(data));
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

    pub fn field(mut self, name: &str, value: impl Serialize) -> Self {
        self.extra.insert(name.to_owned(), to_value(value));
        self
    }

    pub fn respond(self, req: &HttpRequest, tenant: &Tenant) -> HttpResponse {
        let conn = req.connection_info();
        let uri = format!("{}://{}{}", conn.scheme(), conn.host(), req.path());
        let path = self.path.unwrap_or_else(|| tenant_relative_path(req));
        let mut body = Map::new();
        body.insert(
            "action".into(),
            Value::String(
                self.action
                    .unwrap_or_else(|| req.method().as_str().to_ascii_lowercase()),
            ),
        );
        body.insert("application".into(), Value::String(tenant.id.to_string()));
        body.insert("uri".into(), Value::String(uri));
        body.insert("path".into(), Value::String(path));
        body.insert("entities".into(), Value::Array(self.entities));
        if let Some(d) = self.data {
            body.insert("data".into(), d);
        }
        body.insert(
            "timestamp".into(),
            Value::from(chrono::Utc::now().timestamp_millis()),
        );
        body.insert("duration".into(), Value::from(elapsed_ms(req)));
        body.insert(
            "organization".into(),
            Value::String(tenant.org_name.clone()),
        );
        body.insert(
            "applicationName".into(),
            Value::String(tenant.app_name.clone()),
        );
        let params = QueryParams::from_request(req);
        if !params.is_empty() {
            body.insert("params".into(), params.to_json());
        }
        if let Some(c) = self.count {
            body.insert("count".into(), Value::from(c));
        }
        if let Some(c) = self.cursor {
            body.insert("cursor".into(), Value::String(c));
        }
        body.extend(self.extra);
        HttpResponse::Ok().json(Value::Object(body))
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
