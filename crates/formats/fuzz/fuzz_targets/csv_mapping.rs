//! Fuzz target: a mapping file (TOML) and a CSV file read with it. The input is the mapping,
//! a NUL byte, then the CSV; the mapping alone is parsed when there is no NUL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytale_formats::{Format, Mapping};

fuzz_target!(|data: &[u8]| {
    let (toml, csv) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(toml) = std::str::from_utf8(toml) else {
        return;
    };
    let Ok(mapping) = Mapping::from_toml(toml) else {
        return;
    };
    if !csv.is_empty() {
        skytale_formats_fuzz::exercise(Format::Csv, csv, Some(&mapping));
    }
});
