//! Hooks for the fuzz targets (`fuzz/`, feature `fuzzing`): the crate's
//! private steps they check directly. Not an API: nothing else may use it.

use chrono::NaiveDate;
use rusqlite::types::Value as SqlValue;

use crate::model::criteria::Criteria;
use crate::store::customer_segments::compile::{self, Shape};

/// The table the compiled conditions read (`customers c`).
pub const EVALUATION_FROM: &str = compile::EVALUATION_FROM;

/// `criteria` compiled as [`compile_criteria`] returns it.
pub struct CompiledCriteria {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

/// `criteria` compiled for every customer (`set`) and for one customer
/// (`row`), on `today`.
pub fn compile_criteria(
    criteria: &Criteria,
    today: NaiveDate,
) -> (CompiledCriteria, CompiledCriteria) {
    let set = compile::compile(criteria, today, Shape::Set);
    let row = compile::compile(criteria, today, Shape::Row);
    (
        CompiledCriteria {
            sql: set.sql,
            params: set.params,
        },
        CompiledCriteria {
            sql: row.sql,
            params: row.params,
        },
    )
}

/// The plain evaluator the compiled SQL is checked against.
pub use crate::store::customer_segments::reference::World as ReferenceWorld;

/// The customers of `world` (not deleted) that `criteria` selects on
/// `today` by the reference evaluator, in id order.
pub fn reference_members(
    world: &ReferenceWorld,
    criteria: &Criteria,
    today: NaiveDate,
) -> Vec<String> {
    let rfm = world.rfm();
    let mut ids: Vec<String> = world
        .customers
        .iter()
        .filter(|c| !c.deleted && world.matches(criteria, c, &rfm, today))
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids
}
