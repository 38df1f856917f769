//! skytale-rcv (placeholder, being written).
