//! skytale-tally (placeholder, being written).
