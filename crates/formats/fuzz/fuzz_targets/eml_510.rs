//! Fuzz target: the Eml510 importer (`derive_definition`, then `import_results`) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytale_formats::Format;

fuzz_target!(|data: &[u8]| skytale_formats_fuzz::exercise(Format::Eml510, data, None));
