//! sideways: a recurrent network reads a sentence one word at a time, a Transformer reads it all
//! at once. This library trains both (and any model in the registry) on the same words and
//! measures the difference.
//!
//! Floors, each using only those listed before it (see `docs/architecture.md`):
//! [`error`], [`rng`], [`units`], [`fsio`], [`schema`] (foundations) → [`linalg`] → [`gpu`] → [`data`] →
//! [`embed`] → [`model`] → [`predict`] → [`train`] → [`race`], [`bench`], [`selftest`], [`dist`] →
//! [`commands`] → [`lessons`] → [`tui`] → [`cli`].

pub mod error;
pub mod fsio;
pub mod rng;
pub mod schema;
pub mod units;

pub mod linalg;

pub mod gpu;

pub mod data;

pub mod embed;

pub mod model;

pub mod predict;

pub mod train;

pub mod bench;
pub mod dist;
pub mod race;
pub mod selftest;

pub mod commands;

pub mod lessons;

pub mod tui;

pub mod cli;
