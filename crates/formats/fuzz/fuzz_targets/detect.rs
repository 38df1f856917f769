//! Fuzz target: format detection (`Format::detect`: XML root, JSON keys, CSV header) never
//! panics and never reads past what it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytale_formats::Format;

fuzz_target!(|data: &[u8]| {
    let _ = Format::detect(data);
});
