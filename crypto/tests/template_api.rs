//! Behaviour of `template::render` that the Go table cannot pin: functions we refuse,
//! error kinds, and that errors do not leak plaintext.

use std::collections::BTreeMap;

use sealwright_crypto::template::{UNSUPPORTED_FUNCTIONS, render};

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
fn unsupported_functions_parse_but_fail_when_called() {
    for f in UNSUPPORTED_FUNCTIONS {
        let src = format!("x{{{{ {f} }}}}y");
        let err = render("key", &src, &values()).expect_err("must fail");
        assert_eq!(
            err.message,
            format!(
                "template: key:1:4: executing \"key\" at <{f}>: error calling {f}: function not supported by sealwright templates"
            )
        );
        assert_eq!(err.partial.as_deref(), Some("x"));
        assert_eq!(err.name(), "TemplateExec");
    }
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
    assert_eq!(err.partial.as_deref(), Some("hunter2"));
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
    // A hash made by upstream's engine (same template) verifies against our library's reading of it.
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
