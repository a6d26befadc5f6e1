//! Trust: the roster of reviewers and their keys, and signed records
//! (PROTOCOL 6 and 8). Records are verified before they count.

pub mod action;
pub mod audit;
pub mod category;
pub mod checklist;
pub mod checkpoint;
pub mod deploy;
pub mod expiry;
pub mod jcs;
pub mod keys;
pub mod lifetime;
pub mod quorum;
pub mod record;
pub mod roster;
pub mod state;
pub mod summary;
pub mod verified;
