//! The Portal's 14 visit frequencies and their calendar arithmetic.

use std::fmt;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ValidationReason};

/// How often a customer of a segment should be visited. The wire code
/// (`weekly`, `every_2_months`, ...) is stable; never renumber or rename.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum VisitFrequency {
    #[default]
    None,
    Daily,
    Every2Days,
    Every3Days,
    Every4Days,
    Weekly,
    Every2Weeks,
    Every3Weeks,
    Monthly,
    Every2Months,
    Every3Months,
    Every4Months,
    Every6Months,
    OnceAYear,
}

enum Interval {
    Days(u64),
    Months(u32),
}

impl VisitFrequency {
    /// All values, in the Portal's dropdown order.
    pub const ALL: [VisitFrequency; 14] = [
        Self::None,
        Self::Daily,
        Self::Every2Days,
        Self::Every3Days,
        Self::Every4Days,
        Self::Weekly,
        Self::Every2Weeks,
        Self::Every3Weeks,
        Self::Monthly,
        Self::Every2Months,
        Self::Every3Months,
        Self::Every4Months,
        Self::Every6Months,
        Self::OnceAYear,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Daily => "daily",
            Self::Every2Days => "every_2_days",
            Self::Every3Days => "every_3_days",
            Self::Every4Days => "every_4_days",
            Self::Weekly => "weekly",
            Self::Every2Weeks => "every_2_weeks",
            Self::Every3Weeks => "every_3_weeks",
            Self::Monthly => "monthly",
            Self::Every2Months => "every_2_months",
            Self::Every3Months => "every_3_months",
            Self::Every4Months => "every_4_months",
            Self::Every6Months => "every_6_months",
            Self::OnceAYear => "once_a_year",
        }
    }

    pub fn from_code(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.code() == code)
            .ok_or_else(|| Error::invalid("visit_frequency", ValidationReason::UnknownCode))
    }

    /// The English label the Portal shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Daily => "Daily",
            Self::Every2Days => "Every 2 days",
            Self::Every3Days => "Every 3 days",
            Self::Every4Days => "Every 4 days",
            Self::Weekly => "Weekly",
            Self::Every2Weeks => "Every 2 weeks",
            Self::Every3Weeks => "Every 3 weeks",
            Self::Monthly => "Monthly",
            Self::Every2Months => "Every 2 months",
            Self::Every3Months => "Every 3 months",
            Self::Every4Months => "Every 4 months",
            Self::Every6Months => "Every 6 months",
            Self::OnceAYear => "Once a year",
        }
    }

    fn interval(self) -> Option<Interval> {
        use Interval::*;
        Some(match self {
            Self::None => return None,
            Self::Daily => Days(1),
            Self::Every2Days => Days(2),
            Self::Every3Days => Days(3),
            Self::Every4Days => Days(4),
            Self::Weekly => Days(7),
            Self::Every2Weeks => Days(14),
            Self::Every3Weeks => Days(21),
            Self::Monthly => Months(1),
            Self::Every2Months => Months(2),
            Self::Every3Months => Months(3),
            Self::Every4Months => Months(4),
            Self::Every6Months => Months(6),
            Self::OnceAYear => Months(12),
        })
    }

    /// The date of the next visit after a visit on `after`. Months are
    /// calendar months clamped to the month's end (Jan 31 + 1 month is Feb 28,
    /// or Feb 29 in a leap year). `None` for the `None` frequency, and past
    /// the end of the calendar.
    pub fn next_visit(self, after: NaiveDate) -> Option<NaiveDate> {
        match self.interval()? {
            Interval::Days(n) => after.checked_add_days(Days::new(n)),
            // chrono clamps to the last day of a shorter month.
            Interval::Months(n) => after.checked_add_months(Months::new(n)),
        }
    }
}

impl fmt::Display for VisitFrequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for VisitFrequency {
    type Error = Error;
    fn try_from(code: String) -> Result<Self> {
        Self::from_code(&code)
    }
}

impl From<VisitFrequency> for &'static str {
    fn from(f: VisitFrequency) -> Self {
        f.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn there_are_exactly_the_portals_fourteen_codes() {
        let codes: Vec<_> = VisitFrequency::ALL.iter().map(|f| f.code()).collect();
        assert_eq!(
            codes,
            [
                "none",
                "daily",
                "every_2_days",
                "every_3_days",
                "every_4_days",
                "weekly",
                "every_2_weeks",
                "every_3_weeks",
                "monthly",
                "every_2_months",
                "every_3_months",
                "every_4_months",
                "every_6_months",
                "once_a_year"
            ]
        );
        for f in VisitFrequency::ALL {
            assert_eq!(VisitFrequency::from_code(f.code()).unwrap(), f);
        }
        assert_eq!(VisitFrequency::default(), VisitFrequency::None);
    }

    #[test]
    fn unknown_codes_are_typed_errors() {
        for bad in ["", "Weekly", "fortnightly", "every_5_days"] {
            let err = VisitFrequency::from_code(bad).unwrap_err();
            assert!(
                matches!(err, Error::Validation { ref field, reason: ValidationReason::UnknownCode } if field == "visit_frequency")
            );
        }
        assert!(serde_json::from_str::<VisitFrequency>("\"hourly\"").is_err());
        assert_eq!(
            serde_json::to_string(&VisitFrequency::Every2Weeks).unwrap(),
            "\"every_2_weeks\""
        );
    }

    #[test]
    fn day_based_frequencies() {
        let from = d("2026-12-30");
        assert_eq!(
            VisitFrequency::Daily.next_visit(from),
            Some(d("2026-12-31"))
        );
        assert_eq!(
            VisitFrequency::Every2Days.next_visit(from),
            Some(d("2027-01-01"))
        );
        assert_eq!(
            VisitFrequency::Every3Days.next_visit(from),
            Some(d("2027-01-02"))
        );
        assert_eq!(
            VisitFrequency::Every4Days.next_visit(from),
            Some(d("2027-01-03"))
        );
        assert_eq!(
            VisitFrequency::Weekly.next_visit(from),
            Some(d("2027-01-06"))
        );
        assert_eq!(
            VisitFrequency::Every2Weeks.next_visit(from),
            Some(d("2027-01-13"))
        );
        assert_eq!(
            VisitFrequency::Every3Weeks.next_visit(from),
            Some(d("2027-01-20"))
        );
        assert_eq!(VisitFrequency::None.next_visit(from), None);
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        assert_eq!(
            VisitFrequency::Monthly.next_visit(d("2026-01-31")),
            Some(d("2026-02-28"))
        );
        assert_eq!(
            VisitFrequency::Monthly.next_visit(d("2028-01-31")),
            Some(d("2028-02-29")),
            "leap year"
        );
        assert_eq!(
            VisitFrequency::Monthly.next_visit(d("2026-03-31")),
            Some(d("2026-04-30"))
        );
        assert_eq!(
            VisitFrequency::Every2Months.next_visit(d("2026-12-31")),
            Some(d("2027-02-28"))
        );
        assert_eq!(
            VisitFrequency::Every3Months.next_visit(d("2026-11-30")),
            Some(d("2027-02-28"))
        );
        assert_eq!(
            VisitFrequency::Every4Months.next_visit(d("2026-10-31")),
            Some(d("2027-02-28"))
        );
        assert_eq!(
            VisitFrequency::Every6Months.next_visit(d("2026-08-31")),
            Some(d("2027-02-28"))
        );
        assert_eq!(
            VisitFrequency::OnceAYear.next_visit(d("2028-02-29")),
            Some(d("2029-02-28"))
        );
        assert_eq!(
            VisitFrequency::Monthly.next_visit(d("2026-01-15")),
            Some(d("2026-02-15"))
        );
    }

    #[test]
    fn the_end_of_the_calendar_has_no_next_visit() {
        assert_eq!(VisitFrequency::Daily.next_visit(NaiveDate::MAX), None);
        assert_eq!(VisitFrequency::Monthly.next_visit(NaiveDate::MAX), None);
    }

    proptest! {
        #[test]
        fn next_visit_is_later_and_months_keep_the_day_when_they_can(
            days in 0i64..200_000,
            idx in 1usize..14,
        ) {
            let from = d("1900-01-01") + chrono::Duration::days(days);
            let f = VisitFrequency::ALL[idx];
            let next = f.next_visit(from).unwrap();
            prop_assert!(next > from);
            if let Some(Interval::Months(n)) = f.interval() {
                use chrono::Datelike;
                let months = (next.year() - from.year()) * 12 + next.month() as i32 - from.month() as i32;
                prop_assert_eq!(months, n as i32);
                prop_assert!(next.day() <= from.day());
                if next.day() < from.day() {
                    // clamped: the result is the last day of its month
                    prop_assert_eq!(next.succ_opt().unwrap().day(), 1);
                }
            }
        }
    }
}
