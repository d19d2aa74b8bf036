#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sealwright_fuzz::targets::http_body(data));
