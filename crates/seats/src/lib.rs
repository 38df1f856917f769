//! skytale-seats (placeholder, being written).
