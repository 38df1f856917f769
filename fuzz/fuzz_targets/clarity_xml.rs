//! Fuzz target: `derive_definition` of skytale-formats' ClarityXml reader must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytale_formats::{derive_definition, Format};
use skytale_note::SigningKey;

fuzz_target!(|data: &[u8]| {
    let a = SigningKey::from_seed("authority", [1; 32]).unwrap().verifier();
    let r = SigningKey::from_seed("county", [2; 32]).unwrap().verifier();
    let _ = derive_definition(Format::ClarityXml, data, "fuzz-2024-01-01", a, "c", r);
});
