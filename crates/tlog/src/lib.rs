//! skytale-tlog (placeholder, being written).
