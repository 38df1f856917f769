//! skytale-witness (placeholder, being written).
