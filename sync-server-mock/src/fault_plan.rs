//! The fault plan of `/sync/v1/*`: the settings (rates per fault kind,
//! latency, seed) and the seeded RNG every sync request draws from, in
//! arrival order, so a given seed and request sequence give the same faults
//! every run. The rates split [0, 1) into consecutive ranges (error,
//! unavailable, rate limit, drop, truncate, applied-then-fail); a draw past
//! all of them is no fault. A leaf: the middleware that acts on a draw is
//! `faults`.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The fault settings. Rates are probabilities per sync request; together
/// they must not exceed 1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// 500 before the request is handled.
    pub error_rate: f64,
    /// 503 with `Retry-After: 1` before the request is handled.
    pub unavailable_rate: f64,
    /// 429 with `Retry-After: 1` before the request is handled.
    pub rate_limit_rate: f64,
    /// Handled, then the status, headers and half the body are sent and
    /// the connection is aborted.
    pub drop_rate: f64,
    /// Handled, then half the JSON body is sent with a matching
    /// `Content-Length`.
    pub truncate_rate: f64,
    /// A push is applied, then answered 500 (other requests: no fault).
    pub applied_then_fail_rate: f64,
    /// Added before every sync request.
    pub latency_ms: u64,
    pub seed: u64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultConfigError {
    #[error("unknown fault option {0:?}")]
    UnknownOption(String),
    #[error("fault option {0} needs a value (name=value)")]
    MissingValue(String),
    #[error("fault option {0} has a malformed value")]
    Malformed(String),
    #[error("{0} must be between 0 and 1")]
    RateOutOfRange(&'static str),
    #[error("the fault rates add up to more than 1")]
    RatesAboveOne,
}

impl FaultConfig {
    fn rates(&self) -> [(&'static str, f64, Fault); 6] {
        [
            ("error_rate", self.error_rate, Fault::Error),
            (
                "unavailable_rate",
                self.unavailable_rate,
                Fault::Unavailable,
            ),
            ("rate_limit_rate", self.rate_limit_rate, Fault::RateLimit),
            ("drop_rate", self.drop_rate, Fault::Drop),
            ("truncate_rate", self.truncate_rate, Fault::Truncate),
            (
                "applied_then_fail_rate",
                self.applied_then_fail_rate,
                Fault::AppliedThenFail,
            ),
        ]
    }

    pub fn validate(&self) -> Result<(), FaultConfigError> {
        for (name, rate, _) in self.rates() {
            if !(0.0..=1.0).contains(&rate) {
                return Err(FaultConfigError::RateOutOfRange(name));
            }
        }
        // A little slack for decimal rates such as 0.1 + 0.2 + 0.7.
        if self.rates().iter().map(|r| r.1).sum::<f64>() > 1.0 + 1e-9 {
            return Err(FaultConfigError::RatesAboveOne);
        }
        Ok(())
    }

    /// The fault for a draw in [0, 1).
    pub(crate) fn pick(&self, roll: f64) -> Option<Fault> {
        let mut upper = 0.0;
        for (_, rate, fault) in self.rates() {
            upper += rate;
            if roll < upper {
                return Some(fault);
            }
        }
        None
    }
}

/// `error_rate=0.2,latency_ms=50,seed=7`: the command-line form.
impl FromStr for FaultConfig {
    type Err = FaultConfigError;

    fn from_str(s: &str) -> Result<Self, FaultConfigError> {
        let mut config = FaultConfig::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| FaultConfigError::MissingValue(item.to_owned()))?;
            let (key, value) = (key.trim(), value.trim());
            let malformed = || FaultConfigError::Malformed(key.to_owned());
            let rate = || value.parse::<f64>().map_err(|_| malformed());
            match key {
                "error_rate" => config.error_rate = rate()?,
                "unavailable_rate" => config.unavailable_rate = rate()?,
                "rate_limit_rate" => config.rate_limit_rate = rate()?,
                "drop_rate" => config.drop_rate = rate()?,
                "truncate_rate" => config.truncate_rate = rate()?,
                "applied_then_fail_rate" => config.applied_then_fail_rate = rate()?,
                "latency_ms" => config.latency_ms = value.parse().map_err(|_| malformed())?,
                "seed" => config.seed = value.parse().map_err(|_| malformed())?,
                other => return Err(FaultConfigError::UnknownOption(other.to_owned())),
            }
        }
        config.validate()?;
        Ok(config)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Error,
    Unavailable,
    RateLimit,
    Drop,
    Truncate,
    AppliedThenFail,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Error => "error",
            Fault::Unavailable => "unavailable",
            Fault::RateLimit => "rate_limit",
            Fault::Drop => "drop",
            Fault::Truncate => "truncate",
            Fault::AppliedThenFail => "applied_then_fail",
        }
    }
}

/// The live settings and the RNG they draw from.
pub struct FaultState {
    inner: Mutex<(FaultConfig, ChaCha8Rng)>,
}

impl FaultState {
    pub fn new(config: FaultConfig) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        FaultState {
            inner: Mutex::new((config, rng)),
        }
    }

    pub fn config(&self) -> FaultConfig {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// Replaces the settings and restarts the RNG from their seed.
    pub fn set(&self, config: FaultConfig) {
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = (config, rng);
    }

    /// One draw: the fault for this request and the latency to add.
    pub fn draw(&self) -> (Option<Fault>, Duration) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (config, rng) = &mut *guard;
        let roll: f64 = rng.random();
        (config.pick(roll), Duration::from_millis(config.latency_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_form_parses() {
        let c: FaultConfig =
            "error_rate=0.2,latency_ms=50,truncate_rate=0.05,drop_rate=0.05,seed=7"
                .parse()
                .unwrap();
        assert_eq!(c.error_rate, 0.2);
        assert_eq!(c.latency_ms, 50);
        assert_eq!(c.truncate_rate, 0.05);
        assert_eq!(c.drop_rate, 0.05);
        assert_eq!(c.seed, 7);
        assert_eq!("".parse::<FaultConfig>().unwrap(), FaultConfig::default());
    }

    #[test]
    fn bad_options_are_named() {
        assert_eq!(
            "nope=1".parse::<FaultConfig>(),
            Err(FaultConfigError::UnknownOption("nope".into()))
        );
        assert_eq!(
            "error_rate".parse::<FaultConfig>(),
            Err(FaultConfigError::MissingValue("error_rate".into()))
        );
        assert_eq!(
            "seed=x".parse::<FaultConfig>(),
            Err(FaultConfigError::Malformed("seed".into()))
        );
        assert_eq!(
            "drop_rate=1.5".parse::<FaultConfig>(),
            Err(FaultConfigError::RateOutOfRange("drop_rate"))
        );
        assert_eq!(
            "error_rate=0.6,drop_rate=0.6".parse::<FaultConfig>(),
            Err(FaultConfigError::RatesAboveOne)
        );
    }

    #[test]
    fn rates_split_the_unit_interval_in_order() {
        let c = FaultConfig {
            error_rate: 0.1,
            unavailable_rate: 0.1,
            rate_limit_rate: 0.1,
            drop_rate: 0.1,
            truncate_rate: 0.1,
            applied_then_fail_rate: 0.1,
            ..Default::default()
        };
        assert_eq!(c.pick(0.05), Some(Fault::Error));
        assert_eq!(c.pick(0.15), Some(Fault::Unavailable));
        assert_eq!(c.pick(0.25), Some(Fault::RateLimit));
        assert_eq!(c.pick(0.35), Some(Fault::Drop));
        assert_eq!(c.pick(0.45), Some(Fault::Truncate));
        assert_eq!(c.pick(0.55), Some(Fault::AppliedThenFail));
        assert_eq!(c.pick(0.65), None);
    }

    #[test]
    fn a_seed_gives_the_same_faults() {
        let config = FaultConfig {
            error_rate: 0.5,
            seed: 7,
            ..Default::default()
        };
        let draws = |s: &FaultState| (0..50).map(|_| s.draw().0).collect::<Vec<_>>();
        let a = FaultState::new(config.clone());
        let b = FaultState::new(config.clone());
        let first = draws(&a);
        assert_eq!(first, draws(&b));
        assert!(first.contains(&Some(Fault::Error)) && first.contains(&None));
        a.set(config);
        assert_eq!(draws(&a), first, "setting restarts the RNG");
    }
}
