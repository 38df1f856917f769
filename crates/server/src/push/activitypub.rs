//! Stub while the webhooks land.
use std::sync::Arc;

use skytale_render::social::Headline;
use skytale_store::{DeliveryRow, StoreError};

use super::{Failure, Push};
use crate::publisher::Snapshot;
use crate::runtime::ElectionRuntime;

pub(crate) fn queue_post(
    _push: &Push,
    _rt: &ElectionRuntime,
    _snap: &Snapshot,
    _heads: &[Headline],
) -> Result<(), StoreError> {
    Ok(())
}

pub(crate) async fn send(_push: &Push, _d: &DeliveryRow) -> Result<u16, Failure> {
    let _ = Arc::new(());
    Err(Failure::permanent("not yet".into()))
}
