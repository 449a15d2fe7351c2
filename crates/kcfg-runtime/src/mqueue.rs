//! The mqueue module (mqueue_api.c / mqueue_mod.c of Kamailio 5.6.3):
//! queues defined by `modparam("mqueue", "mqueue", "name=q;size=N;addmode=M")`
//! or `mqueue_name` (with `mqueue_size`/`mqueue_addmode` as set before it),
//! `mq_add`, `mq_fetch`, `mq_size`, `mq_pv_free`, `$mqk(q)`, `$mqv(q)`,
//! `$mq_size(q)`.
//!
//! Key semantics (gotchas #18, measured): addmode 0 queues every item;
//! addmode 1 drops a new item whose key is already queued (the oldest
//! stays, `mq_add` still returns 1); addmode 2 removes the queued item with
//! that key and appends the new one. With `size` > 0 the oldest item is
//! dropped when the queue grows past it. The fetched item (`$mqk`/`$mqv`)
//! belongs to the process and stays until the next `mq_fetch` (even an
//! unsuccessful one) or `mq_pv_free`.

use std::collections::{HashMap, VecDeque};

use crate::engine::{Ctx, Runtime};
use crate::ir::{Call, ParamVal};
use crate::value::Val;

#[derive(Debug, Clone, Default)]
pub struct MQueue {
    pub msize: i64,
    pub addmode: i64,
    pub items: VecDeque<(String, String)>,
    /// the item the last `mq_fetch` took (`$mqk`/`$mqv`)
    pub fetched: Option<(String, String)>,
}

impl MQueue {
    /// `mq_item_add`.
    pub fn add(&mut self, key: &str, val: &str) {
        if self.addmode == 1 || self.addmode == 2 {
            if let Some(i) = self.items.iter().position(|(k, _)| k == key) {
                if self.addmode == 1 {
                    return;
                }
                self.items.remove(i);
            }
        }
        self.items.push_back((key.to_string(), val.to_string()));
        if self.msize > 0 && self.items.len() as i64 > self.msize {
            self.items.pop_front();
        }
    }
}

/// `key=value;...` of the `mqueue` parameter (parse_params, names case-insensitive).
fn parse_def(s: &str) -> Result<(String, i64, i64), String> {
    let s = s.strip_suffix(';').unwrap_or(s);
    let (mut name, mut size, mut addmode) = (String::new(), 0, 0);
    for p in s.split(';') {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let v = v.trim().trim_matches('"');
        let num = || crate::value::str2sint(v).unwrap_or(0);
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => name = v.to_string(),
            "size" => size = num(),
            "addmode" => addmode = num(),
            "dbmode" => {}
            other => return Err(format!("unknown param: {other}")),
        }
    }
    if name.is_empty() {
        return Err(format!("mqueue name not defined: {s}"));
    }
    Ok((name, size, addmode))
}

/// The queues the config defines, in modparam order.
pub fn queues_of(prog: &crate::ir::Program) -> HashMap<String, MQueue> {
    let mut q = HashMap::new();
    let (mut size, mut addmode) = (0, 0);
    for (m, p, v) in &prog.modparams {
        if m != "mqueue" {
            continue;
        }
        let sv = match v {
            ParamVal::Str(s) => s.clone(),
            ParamVal::Int(i) => i.to_string(),
        };
        match p.to_ascii_lowercase().as_str() {
            "mqueue" => {
                if let Ok((n, s, a)) = parse_def(&sv) {
                    q.entry(n).or_insert(MQueue {
                        msize: s,
                        addmode: a,
                        ..Default::default()
                    });
                }
            }
            "mqueue_name" if !sv.is_empty() => {
                q.entry(sv).or_insert(MQueue {
                    msize: size,
                    addmode,
                    ..Default::default()
                });
            }
            "mqueue_size" => size = sv.trim().parse().unwrap_or(0),
            "mqueue_addmode" => addmode = sv.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    q
}

impl Runtime {
    fn mqueues(&mut self) -> &mut HashMap<String, MQueue> {
        if self.ext.mqueues.is_none() {
            self.ext.mqueues = Some(queues_of(&self.prog));
        }
        self.ext.mqueues.get_or_insert_with(HashMap::new)
    }

    /// mqueue functions; `None` when `c` is not one of them.
    pub(crate) fn mqueue_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        let r = match n {
            "mq_add" if c.args.len() == 3 => {
                let q = self.eval_arg(ctx, &c.args[0]);
                let k = self.eval_arg(ctx, &c.args[1]);
                let v = self.eval_arg(ctx, &c.args[2]);
                match self.mqueues().get_mut(&q) {
                    Some(m) => {
                        m.add(&k, &v);
                        1
                    }
                    None => -1,
                }
            }
            "mq_fetch" if c.args.len() == 1 => {
                let q = self.eval_arg(ctx, &c.args[0]);
                match self.mqueues().get_mut(&q) {
                    Some(m) => {
                        m.fetched = m.items.pop_front();
                        if m.fetched.is_some() {
                            1
                        } else {
                            -2
                        }
                    }
                    None => -1,
                }
            }
            "mq_size" if c.args.len() == 1 => {
                let q = self.eval_arg(ctx, &c.args[0]);
                // w_mq_size: the size, or size - 1 when not positive (-1 unknown queue)
                let s = self
                    .mqueues()
                    .get(&q)
                    .map(|m| m.items.len() as i64)
                    .unwrap_or(-1);
                if s <= 0 {
                    s - 1
                } else {
                    s
                }
            }
            "mq_pv_free" if c.args.len() == 1 => {
                let q = self.eval_arg(ctx, &c.args[0]);
                if let Some(m) = self.mqueues().get_mut(&q) {
                    m.fetched = None;
                }
                1
            }
            _ => return None,
        };
        Some(r)
    }

    /// `$mqk(q)`, `$mqv(q)`, `$mq_size(q)`; `Err` for an unknown queue
    /// (the PV getter fails).
    pub(crate) fn mqueue_pv(&mut self, class: &str, q: &str) -> Result<Val, String> {
        let Some(m) = self.mqueues().get(q) else {
            return Err(format!("mqueue not found: {q}"));
        };
        let f = m.fetched.as_ref();
        Ok(match class {
            "mqk" => f
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, _)| Val::Str(k.clone()))
                .unwrap_or(Val::Null),
            "mqv" => f
                .filter(|(_, v)| !v.is_empty())
                .map(|(_, v)| Val::Str(v.clone()))
                .unwrap_or(Val::Null),
            _ => Val::Int(m.items.len() as i64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(addmode: i64, msize: i64) -> MQueue {
        MQueue {
            msize,
            addmode,
            ..Default::default()
        }
    }

    #[test]
    fn addmodes() {
        let mut m = q(0, 0);
        m.add("k", "1");
        m.add("k", "2");
        assert_eq!(m.items.len(), 2);
        let mut m = q(1, 0);
        m.add("k", "1");
        m.add("j", "x");
        m.add("k", "2");
        assert_eq!(
            m.items,
            [("k".into(), "1".into()), ("j".into(), "x".into())]
        );
        let mut m = q(2, 0);
        m.add("k", "1");
        m.add("j", "x");
        m.add("k", "2");
        assert_eq!(
            m.items,
            [("j".into(), "x".into()), ("k".into(), "2".into())]
        );
        let mut m = q(0, 2);
        for i in 0..3 {
            m.add(&i.to_string(), "v");
        }
        assert_eq!(m.items.front().map(|x| x.0.as_str()), Some("1"));
    }

    #[test]
    fn definitions() {
        assert_eq!(
            parse_def("name=q;size=3;addmode=1;").unwrap(),
            ("q".into(), 3, 1)
        );
        assert!(parse_def("size=3").is_err());
        assert!(parse_def("name=q;bogus=1").is_err());
    }
}
