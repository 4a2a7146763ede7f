//! [`Record::to_json`]: the JSON shape the CLI prints and external tools read.

use chrono::SecondsFormat;
use serde_json::{Map, Value};

use super::{Detail, Record};

fn put<V: Into<Value>>(m: &mut Map<String, Value>, k: &str, v: Option<V>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), v.into());
    }
}

pub(super) fn to_json(r: &Record<'_>) -> Value {
    let mut m = Map::new();
    m.insert(
        "time".into(),
        r.time.to_rfc3339_opts(SecondsFormat::AutoSi, false).into(),
    );
    m.insert("host".into(), r.host.into());
    m.insert("service".into(), r.service.into());
    put(&mut m, "pid", r.pid);
    put(&mut m, "queue_id", r.queue_id);
    m.insert("kind".into(), r.kind.as_str().into());
    m.insert("abusive".into(), r.abusive.into());
    put(&mut m, "ip", r.ip.map(|ip| ip.to_string()));
    put(&mut m, "port", r.port);
    put(&mut m, "client_name", r.client_name);
    put(&mut m, "user", r.user);
    match &r.detail {
        Detail::None => {}
        Detail::Text { text } => put(&mut m, "text", *text),
        Detail::Auth {
            mechanism,
            reason,
            sender,
        } => {
            put(&mut m, "mechanism", *mechanism);
            put(&mut m, "reason", *reason);
            put(&mut m, "sasl_sender", *sender);
        }
        Detail::Reject {
            stage,
            code,
            enhanced,
            class,
            rbl,
            reason,
            from,
            to,
            helo,
            proto,
        } => {
            m.insert("stage".into(), stage.as_str().into());
            put(&mut m, "code", *code);
            put(&mut m, "enhanced_code", *enhanced);
            m.insert("reason_class".into(), class.as_str().into());
            put(&mut m, "rbl", *rbl);
            put(&mut m, "reason", *reason);
            put(&mut m, "from", *from);
            put(&mut m, "to", *to);
            put(&mut m, "helo", *helo);
            put(&mut m, "proto", *proto);
        }
        Detail::Stage { stage, text } => {
            m.insert("stage".into(), stage.as_str().into());
            put(&mut m, "text", *text);
        }
        Detail::Disconnect {
            auth,
            commands,
            stats,
        } => {
            if let Some(a) = auth {
                m.insert("auth_ok".into(), a.ok.into());
                m.insert("auth_attempted".into(), a.total.into());
            }
            if let Some(c) = commands {
                m.insert("commands_ok".into(), c.ok.into());
                m.insert("commands_total".into(), c.total.into());
            }
            put(&mut m, "stats", *stats);
        }
        Detail::MessageId { message_id } => put(&mut m, "message_id", *message_id),
        Detail::Received { from, size, nrcpt } => {
            put(&mut m, "from", *from);
            put(&mut m, "size", *size);
            put(&mut m, "nrcpt", *nrcpt);
        }
        Detail::Delivery {
            to,
            orig_to,
            relay,
            delay,
            delays,
            dsn,
            status,
            text,
        } => {
            put(&mut m, "to", *to);
            put(&mut m, "orig_to", *orig_to);
            put(&mut m, "relay", *relay);
            put(&mut m, "delay", *delay);
            put(&mut m, "delays", *delays);
            put(&mut m, "dsn", *dsn);
            m.insert("status".into(), status.as_str().into());
            put(&mut m, "text", *text);
        }
        Detail::Postscreen { stage, rank, text } => {
            put(&mut m, "stage", stage.map(|s| s.as_str()));
            put(&mut m, "rank", *rank);
            put(&mut m, "text", *text);
        }
    }
    Value::Object(m)
}
