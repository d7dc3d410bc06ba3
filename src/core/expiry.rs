//! One rule for time, used by every check that compares an expiry with the clock: the ID
//! token's `exp`, `iat` and `nbf`, `isAuthenticated`, `getUser`, and the token cache.
//!
//! `leeway` allows for clocks that disagree: a token is *valid* until `leeway` after its
//! expiry, and a time is *not in the future* until `leeway` after now. A cached access token
//! is handed out only while it stays valid for the next `leeway` too (it is *fresh*), so an API
//! call made with it does not fail on the way; past that, `getAccessToken` renews it. So a
//! login that was just accepted is also authenticated, and a token is renewed before any
//! check here or at the API could call it expired.

/// The clock a decision is made with: now and the leeway, both in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    pub now_ms: f64,
    pub leeway_ms: f64,
}

impl Clock {
    /// Not expired, allowing for skew: `expires_ms` may lie up to `leeway` in the past.
    pub fn valid(&self, expires_ms: f64) -> bool {
        expires_ms + self.leeway_ms > self.now_ms
    }

    /// Valid for at least `leeway` more: worth handing to an API call.
    pub fn fresh(&self, expires_ms: f64) -> bool {
        expires_ms - self.leeway_ms > self.now_ms
    }

    /// Not after now, allowing for skew (`iat`, `nbf`).
    pub fn not_future(&self, at_ms: f64) -> bool {
        at_ms <= self.now_ms + self.leeway_ms
    }

    /// At most `max_ms` since `since_ms`, allowing for skew (`auth_time` and `max_age`: Core
    /// 3.1.2.1 asks for a new login when *more* time than max_age has passed).
    pub fn within(&self, since_ms: f64, max_ms: f64) -> bool {
        self.now_ms - since_ms <= max_ms + self.leeway_ms
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    const CLOCK: Clock = Clock {
        now_ms: 100_000.0,
        leeway_ms: 60_000.0,
    };

    #[test]
    fn valid_until_leeway_after_expiry() {
        assert!(CLOCK.valid(100_001.0));
        assert!(
            CLOCK.valid(40_001.0),
            "30 s past expiry is within a 60 s leeway"
        );
        assert!(!CLOCK.valid(40_000.0));
    }

    #[test]
    fn fresh_while_valid_for_another_leeway() {
        assert!(CLOCK.fresh(160_001.0));
        assert!(!CLOCK.fresh(160_000.0));
        assert!(!CLOCK.fresh(130_000.0), "valid, but not for long enough");
        assert!(CLOCK.valid(130_000.0));
    }

    #[test]
    fn not_future_until_leeway_after_now() {
        assert!(CLOCK.not_future(160_000.0));
        assert!(!CLOCK.not_future(160_001.0));
    }

    #[test]
    fn within_max_age_plus_leeway_inclusive() {
        assert!(CLOCK.within(100_000.0 - 360_000.0, 300_000.0));
        assert!(!CLOCK.within(100_000.0 - 360_001.0, 300_000.0));
    }

    #[test]
    fn fresh_implies_valid() {
        for exp in [
            0.0, 40_000.0, 99_999.0, 100_000.0, 160_000.0, 160_001.0, 1e12,
        ] {
            assert!(!CLOCK.fresh(exp) || CLOCK.valid(exp), "{exp}");
        }
    }
}
