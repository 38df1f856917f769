//! Fuzz target: mapping tables (TOML) must never panic the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = skytale_formats::Mapping::from_toml(s);
    }
});
