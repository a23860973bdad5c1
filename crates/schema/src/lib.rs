//! Tables and columns of the crmsql warehouse, and where their files live.
//!
//! This crate defines what an imported table looks like (column names, Arrow types, the export
//! headers each column comes from) and the on-disk layout of a warehouse. It reads and parses
//! nothing from exports: that is the import crate's work.

pub mod deals;
pub mod naming;
pub mod warehouse;

pub use warehouse::{TableMeta, Warehouse, WarehouseError};
