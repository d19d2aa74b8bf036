//! Log lines in the shape of Go's `log/slog` handlers, which upstream's controller uses, so that
//! log queries and parsers keep working after a swap:
//! text `time=2026-01-02T03:04:05.678Z level=INFO msg="Starting sealed-secrets controller" version=v0.40.0`,
//! JSON `{"time":"2026-01-02T03:04:05.678901234Z","level":"INFO","msg":"…","version":"v0.40.0"}`.

use std::fmt::{self, Write as _};

use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter: slog's text handler, or its JSON handler.
#[derive(Debug, Clone, Copy)]
pub struct SlogFormat {
    pub json: bool,
}

/// A field value as slog would print it: strings quoted when needed, the rest bare.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Bare(String),
}

/// The event's fields in order, `message` taken out as slog's `msg`.
#[derive(Debug, Default)]
struct Fields {
    msg: String,
    rest: Vec<(String, Value)>,
}

impl Fields {
    fn push(&mut self, field: &Field, value: Value) {
        match (field.name(), value) {
            ("message", Value::Text(s) | Value::Bare(s)) => self.msg = s,
            (name, value) => self.rest.push((name.to_string(), value)),
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, Value::Text(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, Value::Bare(value.to_string()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, Value::Bare(value.to_string()));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, Value::Bare(value.to_string()));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, Value::Bare(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%display` and `?debug` fields and the message all arrive here.
        self.push(field, Value::Text(format!("{value:?}")));
    }
}

/// slog's level names; tracing's TRACE is below slog's DEBUG, which is its nearest name.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARN",
        Level::INFO => "INFO",
        Level::DEBUG | Level::TRACE => "DEBUG",
    }
}

/// `2006-01-02T15:04:05.000Z07:00` (text) or RFC 3339 with nanoseconds (JSON), in UTC.
fn timestamp(t: OffsetDateTime, nanos: bool) -> String {
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if nanos {
        // Go's RFC3339Nano drops trailing zeros (and the dot when nothing is left).
        let frac = format!("{:09}", t.nanosecond());
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
    } else {
        let _ = write!(s, ".{:03}", t.millisecond());
    }
    s.push('Z');
    s
}

/// slog's text handler quotes a string that is empty or holds a space, `=`, `"` or anything
/// unprintable.
fn needs_quoting(s: &str) -> bool {
    s.is_empty()
        || s.chars()
            .any(|c| c == ' ' || c == '=' || c == '"' || c.is_whitespace() || c.is_control())
}

/// Quoted with Go's `strconv.Quote`, as slog does.
fn text_value(s: &str) -> String {
    if needs_quoting(s) {
        gocompat::strconv::quote(s)
    } else {
        s.to_string()
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// One line, without the newline.
fn render(json: bool, time: OffsetDateTime, level: Level, fields: &Fields) -> String {
    if json {
        let mut line = format!(
            "{{\"time\":{},\"level\":\"{}\",\"msg\":{}",
            json_string(&timestamp(time, true)),
            level_name(level),
            json_string(&fields.msg)
        );
        for (key, value) in &fields.rest {
            let value = match value {
                Value::Text(s) => json_string(s),
                Value::Bare(s)
                    if s.parse::<f64>().is_ok_and(f64::is_finite)
                        || s == "true"
                        || s == "false" =>
                {
                    s.clone()
                }
                Value::Bare(s) => json_string(s),
            };
            let _ = write!(line, ",{}:{value}", json_string(key));
        }
        line.push('}');
        line
    } else {
        let mut line = format!(
            "time={} level={} msg={}",
            timestamp(time, false),
            level_name(level),
            text_value(&fields.msg)
        );
        for (key, value) in &fields.rest {
            let (Value::Text(s) | Value::Bare(s)) = value;
            let _ = write!(line, " {}={}", text_value(key), text_value(s));
        }
        line
    }
}

impl<S, N> FormatEvent<S, N> for SlogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = render(
            self.json,
            OffsetDateTime::now_utc(),
            *event.metadata().level(),
            &fields,
        );
        writeln!(writer, "{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn at() -> OffsetDateTime {
        // 2026-12-04T19:09:46.409929127Z
        OffsetDateTime::from_unix_timestamp_nanos(1_796_411_386_409_929_127).unwrap()
    }

    fn fields(msg: &str, rest: &[(&str, Value)]) -> Fields {
        Fields {
            msg: msg.to_string(),
            rest: rest
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn text_lines_as_slog() {
        let f = fields(
            "Starting sealed-secrets controller",
            &[("version", Value::Text("v0.40.0".into()))],
        );
        assert_eq!(
            render(false, at(), Level::INFO, &f),
            "time=2026-12-04T19:09:46.409Z level=INFO msg=\"Starting sealed-secrets controller\" version=v0.40.0"
        );
        let f = fields(
            "x",
            &[
                ("empty", Value::Text(String::new())),
                ("eq", Value::Text("a=b".into())),
                ("nl", Value::Text("a\n\"b\"".into())),
                ("n", Value::Bare("3".into())),
            ],
        );
        assert_eq!(
            render(false, at(), Level::WARN, &f),
            "time=2026-12-04T19:09:46.409Z level=WARN msg=x empty=\"\" eq=\"a=b\" nl=\"a\\n\\\"b\\\"\" n=3"
        );
    }

    #[test]
    fn json_lines_as_slog() {
        let f = fields(
            "Starting sealed-secrets controller",
            &[
                ("version", Value::Text("v0.40.0".into())),
                ("keys", Value::Bare("2".into())),
                ("ok", Value::Bare("true".into())),
            ],
        );
        assert_eq!(
            render(true, at(), Level::ERROR, &f),
            "{\"time\":\"2026-12-04T19:09:46.409929127Z\",\"level\":\"ERROR\",\"msg\":\"Starting sealed-secrets controller\",\"version\":\"v0.40.0\",\"keys\":2,\"ok\":true}"
        );
    }

    #[test]
    fn nanoseconds_lose_trailing_zeros() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_796_411_386_400_000_000).unwrap();
        assert_eq!(timestamp(t, true), "2026-12-04T19:09:46.4Z");
        let t = OffsetDateTime::from_unix_timestamp(1_796_411_386).unwrap();
        assert_eq!(timestamp(t, true), "2026-12-04T19:09:46Z");
        assert_eq!(timestamp(t, false), "2026-12-04T19:09:46.000Z");
    }

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn formats_real_events() {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(SlogFormat { json: false })
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let e = std::io::Error::other("no route");
            tracing::info!(namespace = %"kube-system", keys = 2, "key registry loaded");
            tracing::error!(error = %e, "controller failed");
        });
        let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = out.lines().map(|l| l.split_once(' ').unwrap().1).collect();
        assert_eq!(
            lines,
            [
                "level=INFO msg=\"key registry loaded\" namespace=kube-system keys=2",
                "level=ERROR msg=\"controller failed\" error=\"no route\"",
            ]
        );
    }
}
