//! The htable module's tables: items with the `autoexpire` of their table
//! (`htable/ht_api.c` of Kamailio 5.6.3). Time is whole seconds of the
//! runtime's clock, as Kamailio's `time(NULL)`: an item set at `now` with
//! `autoexpire=N` expires at `now + N` and is gone once `now` passes that
//! (`it->expire < now`); reading an expired item gives `$null`; the module's
//! timer (every `timer_interval` seconds) removes expired items and runs
//! `event_route[htable:expired:NAME]` for each.

use std::collections::HashMap;

use crate::value::Val;

/// One table: `name=>size=..;autoexpire=..;updateexpire=..`.
#[derive(Debug, Clone, Default)]
pub struct HTable {
    /// key → (value, expiry second; 0: never)
    pub items: HashMap<String, (Val, u64)>,
    /// `autoexpire` (0: items never expire)
    pub autoexpire: u64,
    /// `updateexpire` (default 1): an update moves the expiry
    pub updateexpire: bool,
}

impl HTable {
    /// The table a `modparam("htable", "htable", "NAME=>...")` defines:
    /// `(name, table)`.
    pub fn from_spec(spec: &str) -> (String, HTable) {
        let (name, attrs) = spec.split_once("=>").unwrap_or((spec, ""));
        let mut t = HTable {
            updateexpire: true,
            ..Default::default()
        };
        for a in attrs.split(';') {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            let num = v.trim().parse::<u64>().ok();
            match k.trim() {
                "autoexpire" => t.autoexpire = num.unwrap_or(0),
                "updateexpire" => t.updateexpire = num.unwrap_or(1) != 0,
                _ => {}
            }
        }
        (name.trim().to_string(), t)
    }

    fn live(&self, expire: u64, now: u64) -> bool {
        self.autoexpire == 0 || expire == 0 || expire >= now
    }

    /// The value of `key` (`$null` when missing or expired).
    pub fn get(&self, key: &str, now: u64) -> Val {
        match self.items.get(key) {
            Some((v, e)) if self.live(*e, now) => v.clone(),
            _ => Val::Null,
        }
    }

    /// The seconds left before `key` expires (`$shtex`): 0 without expiry
    /// or when the item is missing.
    pub fn expires_in(&self, key: &str, now: u64) -> i64 {
        match self.items.get(key) {
            Some((_, e)) if *e > 0 && self.live(*e, now) => (*e - now) as i64,
            _ => 0,
        }
    }

    /// Set `key` (`ht_set_cell`): a new item gets `now + autoexpire`; an
    /// update moves the expiry only with `updateexpire`.
    pub fn set(&mut self, key: &str, v: Val, now: u64) {
        let fresh = if self.autoexpire > 0 {
            now + self.autoexpire
        } else {
            0
        };
        let expire = match self.items.get(key) {
            // an existing item keeps its expiry without updateexpire, even
            // an expired one (ht_set_cell)
            Some((_, e)) if !self.updateexpire => *e,
            _ => fresh,
        };
        self.items.insert(key.to_string(), (v, expire));
    }

    pub fn remove(&mut self, key: &str) {
        self.items.remove(key);
    }

    /// Remove the items expired at `now` (`ht_timer`), in key order (the
    /// real order is that of the hash slots): `(key, value)` of each.
    pub fn take_expired(&mut self, now: u64) -> Vec<(String, Val)> {
        if self.autoexpire == 0 {
            return Vec::new();
        }
        let mut gone: Vec<String> = self
            .items
            .iter()
            .filter(|(_, (_, e))| *e != 0 && *e < now)
            .map(|(k, _)| k.clone())
            .collect();
        gone.sort();
        gone.into_iter()
            .filter_map(|k| self.items.remove(&k).map(|(v, _)| (k, v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoexpire_and_updateexpire() {
        let (name, mut t) = HTable::from_spec("ipban=>size=8;autoexpire=3;");
        assert_eq!(name, "ipban");
        t.set("a", Val::Int(1), 100);
        assert_eq!(t.get("a", 103), Val::Int(1)); // expire 103 is not < 103
        assert_eq!(t.expires_in("a", 101), 2);
        assert_eq!(t.get("a", 104), Val::Null);
        t.set("a", Val::Int(2), 102); // updateexpire: now 105
        assert_eq!(t.get("a", 105), Val::Int(2));
        let (_, mut k) = HTable::from_spec("k=>autoexpire=3;updateexpire=0");
        k.set("a", Val::Int(1), 100);
        k.set("a", Val::Int(2), 102);
        assert_eq!(k.get("a", 104), Val::Null);
        assert_eq!(t.take_expired(110), vec![("a".to_string(), Val::Int(2))]);
        assert!(t.items.is_empty());
    }
}
