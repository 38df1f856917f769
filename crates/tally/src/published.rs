//! The tally at the latest publication, folded publication by publication: the one fold the
//! server's publisher and the verifier both run, so both see the same published figures and the
//! same "change since the previous publication".
//!
//! Accepted statements arrive in log order ([`PublishedTally::push`]); they wait until a
//! publication covers their index ([`PublishedTally::advance`]). Under `automatic` publication
//! every size is published, so nothing waits; under `approval` the statements of the embargo
//! wait here until the approvers' go-ahead.
//!
//! The tally is kept behind an [`Arc`] and changed with [`Arc::make_mut`]: a reader that wants
//! an immutable copy (the site renderer, which renders for seconds on a large election) takes
//! [`PublishedTally::shared`], and the fold copies the tally only if that reader still holds
//! it when the next publication comes. One fold, one live tally; copies only on request.

use std::collections::VecDeque;
use std::sync::Arc;

use skytale_model::{Publication, Statement};

use crate::{SelectionTotals, Tally};

/// The published tally and the statements waiting for a publication.
#[derive(Clone, Debug)]
pub struct PublishedTally {
    tally: Arc<Tally>,
    /// The published size the tally is at.
    size: u64,
    /// Totals at the publication just before `size` (`approval` mode), for the change column.
    previous: Option<SelectionTotals>,
    /// Accepted statements at indexes `>= size`, oldest first.
    waiting: VecDeque<(u64, Statement)>,
}

impl PublishedTally {
    /// An empty tally at `size` (the end of the definition, or the published size a replay
    /// folded to) with the totals of the publication before it, if any.
    pub fn new(tally: Tally, size: u64, previous: Option<SelectionTotals>) -> PublishedTally {
        PublishedTally {
            tally: Arc::new(tally),
            size,
            previous,
            waiting: VecDeque::new(),
        }
    }

    /// An accepted statement at log index `index` (must be `>=` every index pushed before).
    /// Only results, CVR batches and result types count; other kinds are dropped here.
    pub fn push(&mut self, index: u64, st: Statement) {
        if matches!(
            st,
            Statement::Results(_) | Statement::Cvr(_) | Statement::Status(_) | Statement::Review(_)
        ) {
            self.waiting.push_back((index, st));
        }
    }

    /// Folds everything published up to `target`, stopping at each publication of
    /// `publications` on the way so that the totals of the one before `target` are kept.
    /// Returns whether the tally moved. `target` below the current size changes nothing (a
    /// publication is never taken back).
    pub fn advance(&mut self, publications: &[Publication], target: u64) -> bool {
        if target <= self.size {
            return false;
        }
        let is_publication = |n: u64| {
            publications
                .binary_search_by_key(&n, |p| p.tree_size)
                .is_ok()
        };
        let mut stops: Vec<u64> = publications
            .iter()
            .map(|p| p.tree_size)
            .filter(|&n| n > self.size && n < target)
            .collect();
        stops.push(target);
        let tally = Arc::make_mut(&mut self.tally);
        for stop in stops {
            if is_publication(self.size) {
                self.previous = Some(tally.selection_totals());
            }
            while self.waiting.front().is_some_and(|(i, _)| *i < stop) {
                if let Some((_, st)) = self.waiting.pop_front() {
                    tally.apply_statement(&st);
                }
            }
            self.size = stop;
        }
        true
    }

    /// The published size the tally is at.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// An immutable handle on the tally as it is now (see the module doc for its cost).
    pub fn shared(&self) -> Arc<Tally> {
        self.tally.clone()
    }

    /// Totals at the publication before the current one (`approval` mode).
    pub fn previous(&self) -> Option<&SelectionTotals> {
        self.previous.as_ref()
    }

    /// The statements accepted but not yet published, in log order.
    pub fn sealed(&self) -> impl Iterator<Item = &Statement> {
        self.waiting.iter().map(|(_, st)| st)
    }

    /// Statements accepted but not yet published.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}
