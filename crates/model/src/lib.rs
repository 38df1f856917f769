//! skytale-model (placeholder, being written).
