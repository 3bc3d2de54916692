//! Integration tests of sync-server-mock over real HTTP on 127.0.0.1 (port
//! 0). One test binary: every answer is checked against openapi.json by the
//! client in `support`.

mod auth;
mod contract;
mod criteria_schema;
mod cross_org;
mod faults;
mod portal_catalogue;
mod portal_criteria;
mod portal_customer_segments;
mod portal_customers;
mod pull;
mod push;
mod security;
mod server;
mod support;
