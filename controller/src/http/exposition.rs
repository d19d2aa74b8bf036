//! The Prometheus text format 0.0.4 as the Go client writes it: families sorted by name, each
//! with its HELP and TYPE lines; a family's series sorted by their labels as written, a
//! histogram's buckets (in order), sum and count kept together; `le` the last label.

/// One family, ready to be written: names, labels and values are final text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// The name as written (counters end in `_total`).
    pub name: String,
    pub kind: &'static str,
    pub help: String,
    pub series: Vec<Series>,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// What follows the family name: empty, or a histogram's `_bucket`, `_sum`, `_count`.
    pub suffix: &'static str,
    pub labels: Vec<(&'static str, String)>,
    /// A histogram bucket's upper bound.
    pub le: Option<String>,
    pub value: String,
    /// The labels already written out (`Series::written`), in place of `labels`.
    pub written: Option<String>,
}

impl Series {
    pub fn new(labels: Vec<(&'static str, String)>, value: String) -> Self {
        Self {
            suffix: "",
            labels,
            le: None,
            value,
            written: None,
        }
    }

    /// A series whose labels (`names` with `values`) are written out at once, from borrowed
    /// values: for the families with a series per object, which would otherwise copy every
    /// label value once more at each scrape.
    pub fn written(names: &[&str], values: &[String], value: String) -> Self {
        Self {
            suffix: "",
            labels: Vec::new(),
            le: None,
            value,
            written: Some(label_text(
                names.iter().copied().zip(values.iter().map(String::as_str)),
            )),
        }
    }

    /// The labels other than `le`, as written: what series are sorted by.
    fn label_text(&self) -> String {
        label_text(self.labels.iter().map(|(k, v)| (*k, v.as_str())))
    }

    /// Sum and count after a label set's buckets.
    fn rank(&self) -> u8 {
        match self.suffix {
            "_sum" => 1,
            "_count" => 2,
            _ => 0,
        }
    }
}

/// `name="value"` pairs joined by commas, values escaped.
fn label_text<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(&escape(v));
        out.push('"');
    }
    out
}

/// A label value as Go escapes it: backslash, double quote and newline.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// One sample line, reduced to its text: the labels are dropped as soon as they are written out,
/// so a scrape over thousands of series holds each label set once, not twice.
struct Line {
    labels: String,
    /// How much of `labels` precedes `le`: what lines sort by.
    sort_len: usize,
    rank: u8,
    suffix: &'static str,
    value: String,
}

impl Line {
    fn of(mut s: Series) -> Self {
        let mut labels = s.written.take().unwrap_or_else(|| s.label_text());
        let sort_len = labels.len();
        let rank = s.rank();
        if let Some(le) = &s.le {
            if !labels.is_empty() {
                labels.push(',');
            }
            labels.push_str("le=\"");
            labels.push_str(le);
            labels.push('"');
        }
        Self {
            labels,
            sort_len,
            rank,
            suffix: s.suffix,
            value: s.value,
        }
    }

    /// The line's length without the family name.
    fn len(&self) -> usize {
        self.suffix.len() + self.labels.len() + self.value.len() + 4
    }
}

/// The exposition of `families`. Sized before it is written: with one `condition_info` series
/// per SealedSecret the text is megabytes, and growing it by doubling would hold up to three
/// times that at the peak.
pub fn write(mut families: Vec<Family>) -> String {
    families.sort_by(|a, b| a.name.cmp(&b.name));
    let sorted: Vec<(Family, Vec<Line>)> = families
        .into_iter()
        .map(|mut f| {
            let mut lines: Vec<Line> = std::mem::take(&mut f.series)
                .into_iter()
                .map(Line::of)
                .collect();
            // Stable: a label set's buckets keep their order (`le` sorts after the others).
            lines.sort_by(|a, b| {
                a.labels[..a.sort_len]
                    .cmp(&b.labels[..b.sort_len])
                    .then(a.rank.cmp(&b.rank))
            });
            (f, lines)
        })
        .collect();
    let size: usize = sorted
        .iter()
        .map(|(f, lines)| {
            2 * f.name.len()
                + f.help.len()
                + f.kind.len()
                + 18
                + lines.iter().map(|l| f.name.len() + l.len()).sum::<usize>()
        })
        .sum();
    let mut out = String::with_capacity(size);
    for (f, lines) in sorted {
        out.push_str("# HELP ");
        out.push_str(&f.name);
        out.push(' ');
        out.push_str(&f.help);
        out.push_str("\n# TYPE ");
        out.push_str(&f.name);
        out.push(' ');
        out.push_str(f.kind);
        out.push('\n');
        for l in lines {
            out.push_str(&f.name);
            out.push_str(l.suffix);
            if !l.labels.is_empty() {
                out.push('{');
                out.push_str(&l.labels);
                out.push('}');
            }
            out.push(' ');
            out.push_str(&l.value);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(name: &str, series: Vec<Series>) -> Family {
        Family {
            name: name.into(),
            kind: "gauge",
            help: "h".into(),
            series,
        }
    }

    #[test]
    fn families_by_name_series_by_labels() {
        let text = write(vec![
            family(
                "b",
                vec![
                    Series::new(vec![("n", "y".into())], "2".into()),
                    Series::new(vec![("n", "x".into())], "1".into()),
                ],
            ),
            family("a", vec![Series::new(vec![], "0".into())]),
        ]);
        assert_eq!(
            text,
            "# HELP a h\n# TYPE a gauge\na 0\n# HELP b h\n# TYPE b gauge\nb{n=\"x\"} 1\nb{n=\"y\"} 2\n"
        );
    }

    #[test]
    fn histogram_series_stay_together() {
        let labels = |v: &str| vec![("p", v.to_string())];
        let part = |suffix, v: &str, le: Option<&str>| Series {
            suffix,
            labels: labels(v),
            le: le.map(str::to_string),
            value: "1".into(),
            written: None,
        };
        let text = write(vec![family(
            "h",
            vec![
                part("_sum", "b", None),
                part("_count", "b", None),
                part("_bucket", "b", Some("1")),
                part("_bucket", "b", Some("+Inf")),
                part("_count", "a", None),
                part("_bucket", "a", Some("+Inf")),
            ],
        )]);
        let lines: Vec<&str> = text.lines().skip(2).collect();
        assert_eq!(
            lines,
            [
                "h_bucket{p=\"a\",le=\"+Inf\"} 1",
                "h_count{p=\"a\"} 1",
                "h_bucket{p=\"b\",le=\"1\"} 1",
                "h_bucket{p=\"b\",le=\"+Inf\"} 1",
                "h_sum{p=\"b\"} 1",
                "h_count{p=\"b\"} 1",
            ]
        );
    }

    #[test]
    fn label_values_escaped_as_go_does() {
        let text = write(vec![family(
            "e",
            vec![Series::new(vec![("v", "a\"b\\c\nd".into())], "1".into())],
        )]);
        assert!(text.ends_with("e{v=\"a\\\"b\\\\c\\nd\"} 1\n"), "{text}");
    }
}
