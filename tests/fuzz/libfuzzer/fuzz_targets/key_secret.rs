#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sealwright_fuzz::targets::key_secret(data));
