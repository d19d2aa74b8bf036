//! Behaviour of `template::render` that the Go table cannot pin: functions we refuse,
//! error kinds, interop of bcrypt output, and that errors do not leak plaintext.

use std::collections::BTreeMap;

use gotemplate::{self as template, TemplateError};

/// Renders with the default budget; these templates all produce UTF-8.
fn render(
    name: &str,
    src: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    template::render(name, src, values).map(|b| String::from_utf8(b).expect("UTF-8 output"))
}

fn values() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("foo".to_string(), "bar".to_string()),
        ("password".to_string(), "hunter2".to_string()),
    ])
}

#[test]
fn removed_functions_are_parse_errors_naming_them() {
    for (f, line) in [("env", 1), ("expandenv", 1), ("getHostByName", 2)] {
        let src = if line == 1 {
            format!("{{{{ {f} \"x\" }}}}")
        } else {
            format!("a\n{{{{ {f} \"x\" }}}}")
        };
        let err = render("key", &src, &values()).expect_err("must not parse");
        assert_eq!(
            err.message,
            format!("template: key:{line}: function \"{f}\" not defined")
        );
        assert_eq!(err.partial, None);
        assert_eq!(err.name(), "TemplateParse");
    }
}

#[test]
fn key_and_certificate_functions_render() {
    let out = render(
        "key",
        "{{ $ca := genCAWithKey \"ca\" 1 (genPrivateKey \"ecdsa\") }}{{ $c := genSignedCert \"svc\" (list \"10.0.0.1\") (list \"svc.local\") 1 $ca }}{{ $c.Cert }}{{ $c.Key }}",
        &values(),
    )
    .expect("renders");
    let blocks = pem::parse_many(out.as_bytes()).expect("PEM");
    let tags: Vec<&str> = blocks.iter().map(|b| b.tag()).collect();
    assert_eq!(tags, ["CERTIFICATE", "RSA PRIVATE KEY"]);
    let err =
        render("key", "x{{ genCAWithKey \"ca\" 1 \"no key\" }}", &values()).expect_err("not a key");
    assert_eq!(
        err.message,
        "template: key:1:4: executing \"key\" at <genCAWithKey \"ca\" 1 \"no key\">: error calling genCAWithKey: parsing private key: no PEM data in input"
    );
    assert_eq!(err.partial.as_deref(), Some(b"x".as_slice()));
}

#[test]
fn semver_values_have_methods() {
    let out = render(
        "v",
        "{{ $v := semver \"v1.2.3-rc.1+b\" }}{{ $v }} {{ $v.Major }} {{ $v.Original }} {{ $v.IncMinor }} {{ $v.Compare (semver \"1.2.3\") }} {{ typeOf $v.IncPatch }}",
        &values(),
    );
    assert_eq!(
        out.as_deref(),
        Ok("1.2.3-rc.1+b 1 v1.2.3-rc.1+b 1.3.0 -1 semver.Version")
    );
}

#[test]
fn upstream_round_trip_cases() {
    assert_eq!(
        render("foo", "secret {{ index . \"foo\" }} !", &values()).as_deref(),
        Ok("secret bar !")
    );
    assert_eq!(
        render("p", "{{ toJson .password }}", &values()).as_deref(),
        Ok("\"hunter2\"")
    );
    assert_eq!(
        render("foo", "{\"foo\":\"bar\"}", &BTreeMap::new()).as_deref(),
        Ok("{\"foo\":\"bar\"}")
    );
    assert_eq!(
        render("m", "{{ .nope }}", &values()).as_deref(),
        Ok("<no value>")
    );
}

#[test]
fn errors_and_debug_do_not_show_plaintext() {
    for src in [
        "{{ range .password }}{{ end }}",
        "{{ eq (list .password) 1 }}",
        "{{ range $a, $b := 3 }}{{ end }}",
    ] {
        let err = render("k", src, &values()).expect_err("must fail");
        assert!(!err.message.contains("hunter2"), "{}", err.message);
    }
    let err = render("k", "{{ .password }}{{ fail \"x\" }}", &values()).expect_err("must fail");
    assert_eq!(err.partial.as_deref(), Some(b"hunter2".as_slice()));
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn htpasswd_and_bcrypt_interoperate_with_go() {
    let v = BTreeMap::from([("p".to_string(), "s3cret".to_string())]);
    let out = render("k", "{{ htpasswd \"admin\" .p }}", &v).expect("renders");
    let hash = out.strip_prefix("admin:").expect("user prefix");
    // Go's x/crypto format: $2a$, cost 10, 60 bytes.
    assert!(hash.starts_with("$2a$10$") && hash.len() == 60, "{hash}");
    assert!(bcrypt::verify("s3cret", hash).expect("valid hash"));
    // What upstream's engine printed for the same template verifies too.
    let go = "$2a$10$0Tdq5UERpLNrUZOHtfpNWuxefjrbtbq6ov5uj/7DxXb3NyA/p1Pum";
    assert!(bcrypt::verify("s3cret", go).expect("valid hash"));
    assert_eq!(
        render("k", "{{ htpasswd \"a:b\" \"x\" }}", &v).as_deref(),
        Ok("invalid username: a:b")
    );
    assert_eq!(
        render("k", "{{ bcrypt (repeat 73 \"x\") }}", &v).as_deref(),
        Ok("failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes")
    );
}

fn deep(open: &str, close: &str, n: usize, inner: &str) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

/// Templates come from SealedSecret authors; deep nesting must end in an error, not a
/// stack overflow, even on a 2 MiB worker-thread stack (tokio's default).
#[test]
fn hostile_nesting_fails_cleanly_on_a_small_stack() {
    let run = || {
        let v = values();
        // Nesting at the cap parses and runs.
        let parens = format!("{{{{ {} }}}}", deep("(", ")", 99, "1"));
        assert_eq!(render("k", &parens, &v).as_deref(), Ok("1"));
        // One more level is Go's parse error for overly deep expressions.
        let too_deep = "template: k:1: max expression depth exceeded";
        let parens = format!("{{{{ {} }}}}", deep("(", ")", 101, "1"));
        assert_eq!(
            render("k", &parens, &v).expect_err("too deep").message,
            too_deep
        );
        let ifs = deep("{{ if 1 }}", "{{ end }}", 101, "x");
        assert_eq!(
            render("k", &ifs, &v).expect_err("too deep").message,
            too_deep
        );
        // Recursion through a template, with nested blocks in every level and, at the
        // bottom, an expression: 99 levels in all, as deep as the parser allows.
        let bottom = format!(
            "{{{{ {} }}}}{{{{ template \"a\" $ }}}}",
            deep("(print ", ")", 39, "1")
        );
        let body = deep(
            "{{ if 1 }}{{ with . }}{{ range list 1 }}",
            "{{ end }}{{ end }}{{ end }}",
            20,
            &bottom,
        );
        let src = format!("{{{{ define \"a\" }}}}{body}{{{{ end }}}}{{{{ template \"a\" . }}}}");
        let err = render("k", &src, &v).expect_err("too deep");
        assert!(
            err.message
                .ends_with("exceeded maximum template depth (300)"),
            "{}",
            err.message
        );
    };
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .expect("spawn")
        .join()
        .expect("no overflow, no failed assertion");
}

#[test]
fn resource_limits_are_errors() {
    let v = values();
    let err = |src: &str| render("k", src, &v).expect_err("limit").message;
    assert!(
        err("{{ $d := dict }}{{ $_ := set $d \"me\" $d }}{{ $d }}")
            .ends_with("value nested deeper than 64 levels")
    );
    assert!(
        err("{{ $l := list }}{{ range until 100 }}{{ $l = list $l }}{{ end }}")
            .ends_with("value nested deeper than 64 levels")
    );
    let over = "template budget exceeded: more than 16777216 bytes built";
    assert!(
        err("{{ repeat 100000000 \"xx\" }}").ends_with(&format!("error calling repeat: {over}"))
    );
    assert!(err("{{ until 100000000 }}").ends_with(&format!("error calling until: {over}")));
    assert!(err("{{ range until 20 }}{{ printf \"%1000000d\" 1 }}{{ end }}").ends_with(over));
    // Ranging over an integer counts lazily.
    assert_eq!(
        render("k", "{{ range 4000000000 }}{{ . }}{{ break }}{{ end }}", &v).as_deref(),
        Ok("0")
    );
}

#[test]
fn large_templates_render_in_linear_time() {
    let src = "line {{ .foo }} {{ index . \"password\" | len }}\n".repeat(50_000);
    let start = std::time::Instant::now();
    let out = render("k", &src, &values()).expect("renders");
    assert_eq!(out.len(), "line bar 7\n".len() * 50_000);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn key_generation_is_charged_to_the_budget() {
    // An RSA key costs more steps than this budget has, so none is generated.
    let budget = template::Budget {
        max_steps: 3_000_000,
        ..template::Budget::default()
    };
    let err = template::render_within(
        "key",
        "{{ range until 100 }}{{ genPrivateKey \"rsa\" }}{{ end }}",
        &values(),
        &mut budget.allowance(),
    )
    .expect_err("over budget");
    assert_eq!(err.name(), "TemplateBudget");
    // The default budget allows a few keys per object, not an unbounded loop of them.
    let err = render(
        "key",
        "{{ range until 1000 }}{{ genCAWithKey \"ca\" 1 (genPrivateKey \"ecdsa\") }}{{ end }}",
        &values(),
    )
    .expect_err("over budget");
    assert_eq!(err.name(), "TemplateBudget");
}
