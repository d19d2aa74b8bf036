#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sealwright_fuzz::targets::unseal_blob(data));
