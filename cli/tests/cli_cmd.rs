//! Pins every message and exit code of kubeseal (`tests/cmd/*.toml`, run with trycmd).

#[test]
fn cli_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
