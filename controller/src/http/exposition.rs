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
}

impl Series {
    pub fn new(labels: Vec<(&'static str, String)>, value: String) -> Self {
        Self {
            suffix: "",
            labels,
            le: None,
            value,
        }
    }

    /// The labels other than `le`, as written: what series are sorted by.
    fn label_text(&self) -> String {
        let pairs: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        pairs.join(",")
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

/// The exposition of `families`.
pub fn write(mut families: Vec<Family>) -> String {
    families.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::new();
    for f in families {
        out.push_str(&format!(
            "# HELP {} {}\n# TYPE {} {}\n",
            f.name, f.help, f.name, f.kind
        ));
        let mut series: Vec<(String, Series)> =
            f.series.into_iter().map(|s| (s.label_text(), s)).collect();
        // Stable: a label set's buckets keep their order.
        series.sort_by(|(a, sa), (b, sb)| a.cmp(b).then(sa.rank().cmp(&sb.rank())));
        for (labels, s) in series {
            let mut labels = labels;
            if let Some(le) = &s.le {
                if !labels.is_empty() {
                    labels.push(',');
                }
                labels.push_str(&format!("le=\"{le}\""));
            }
            if labels.is_empty() {
                out.push_str(&format!("{}{} {}\n", f.name, s.suffix, s.value));
            } else {
                out.push_str(&format!("{}{}{{{labels}}} {}\n", f.name, s.suffix, s.value));
            }
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
