//! When a group of pending directives is due (Alertmanager's timers).
//!
//! A new group waits `group_wait` after its first directive, so events arriving together go
//! out together. After a notification, the group's next one waits `group_interval`. Limits
//! may push a group back further (`not_before`); a flush that limits held back does not
//! count, so the group goes out once they allow it. Whether an unchanged group is sent again
//! before `repeat_interval` is decided when it is rendered ([`is_repeat`]).

use postwarden_store::PendingGroup;

/// When `group` may next become a notification, in microseconds since the epoch.
pub fn due_at(group: &PendingGroup) -> i64 {
    let timer = match group.last_flush_us {
        None => group.first_created_us + group.group_wait_us,
        Some(last) => last + group.group_interval_us,
    };
    timer.max(group.not_before_us)
}

/// Whether content with `hash` repeats what the group last sent within its repeat interval.
pub fn is_repeat(group: &PendingGroup, hash: &str, now_us: i64) -> bool {
    match (&group.last_hash, group.last_flush_us) {
        (Some(last), Some(at)) => last == hash && now_us - at < group.repeat_interval_us,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(last_flush: Option<i64>) -> PendingGroup {
        PendingGroup {
            id: 1,
            group_key: "k".into(),
            first_created_us: 1_000,
            group_wait_us: 30,
            group_interval_us: 300,
            repeat_interval_us: 4_000,
            last_flush_us: last_flush,
            last_hash: Some("h".into()),
            not_before_us: 0,
        }
    }

    #[test]
    fn timers() {
        assert_eq!(due_at(&group(None)), 1_030);
        assert_eq!(due_at(&group(Some(900))), 1_200);
        let mut held = group(Some(900));
        held.not_before_us = 5_000;
        assert_eq!(due_at(&held), 5_000);
        assert!(is_repeat(&group(Some(900)), "h", 2_000));
        assert!(!is_repeat(&group(Some(900)), "h", 5_000));
        assert!(!is_repeat(&group(Some(900)), "other", 2_000));
    }
}
