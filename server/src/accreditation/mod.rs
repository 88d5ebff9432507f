//! Accreditation (Safe people): training with an expiry date and the signed researcher
//! declaration, both recorded by an administrator.

pub mod domain;
pub mod store;
