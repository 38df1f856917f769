//! Fuzz target: skytale-rcv's hart CVR reader never panics (see `cvr::exercise`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytale_formats_fuzz::cvr::{exercise, Provider};

fuzz_target!(|data: &[u8]| exercise(Provider::Hart, data));
