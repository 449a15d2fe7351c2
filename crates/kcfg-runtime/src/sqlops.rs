//! sqlops on SQLite (rusqlite, bundled SQLite): `sql_query`,
//! `sql_result_free`, `$dbr(res=>rows|cols|[r,c]|colname[c])`, with the
//! return codes of sql_api.c (`sql_do_query`: -1 error, 2 no rows, 3 rows
//! but no result name, 1 rows stored). Connections come from
//! `modparam("sqlops", "sqlcon", "name=>sqlite:///path")`. A run never
//! changes the database file: each connection works inside a transaction
//! that is rolled back when the run ends.

use std::collections::HashMap;

use rusqlite::types::ValueRef;

use crate::engine::Runtime;
use crate::value::Val;

/// A stored result.
#[derive(Debug, Clone, Default)]
pub struct SqlResult {
    pub cols: Vec<String>,
    pub rows: Vec<Vec<Val>>,
}

/// Open SQLite connections by sqlops name.
#[derive(Default)]
pub struct SqlState {
    pub(crate) cons: HashMap<String, rusqlite::Connection>,
    pub(crate) results: HashMap<String, SqlResult>,
    /// statements run on a fresh in-memory database for every connection
    /// (scenarios), instead of opening the file of the URL
    pub init: Vec<String>,
}

impl std::fmt::Debug for SqlState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlState")
            .field("cons", &self.cons.keys().collect::<Vec<_>>())
            .field("results", &self.results)
            .finish()
    }
}

impl Runtime {
    fn sql_con(&mut self, name: &str) -> Result<&rusqlite::Connection, String> {
        if !self.sql.cons.contains_key(name) {
            let url = self
                .prog
                .modparams
                .iter()
                .filter(|(m, p, _)| m == "sqlops" && p == "sqlcon")
                .filter_map(|(_, _, v)| match v {
                    crate::ir::ParamVal::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .find_map(|s| {
                    let (n, u) = s.split_once("=>")?;
                    (n.trim() == name).then(|| u.trim().to_string())
                })
                .ok_or_else(|| format!("no sqlops connection `{name}`"))?;
            let con = if !self.sql.init.is_empty() {
                let c = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
                for st in &self.sql.init {
                    c.execute_batch(st).map_err(|e| format!("{st}: {e}"))?;
                }
                c
            } else {
                let path = url
                    .strip_prefix("sqlite://")
                    .ok_or_else(|| format!("`{url}`: only sqlite:// URLs are simulated"))?;
                let c = rusqlite::Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
                )
                .map_err(|e| format!("{path}: {e}"))?;
                c.execute_batch("BEGIN").map_err(|e| e.to_string())?;
                c
            };
            self.sql.cons.insert(name.to_string(), con);
        }
        Ok(&self.sql.cons[name])
    }

    /// sql_query(con, query[, result]); Err when the connection is not simulated.
    pub(crate) fn sql_query(
        &mut self,
        con: &str,
        query: &str,
        res: Option<&str>,
    ) -> Result<i64, String> {
        if let Some(r) = res {
            self.sql.results.remove(r);
        }
        let (cols, rows) = match self.sql_run(con, query)? {
            Some(x) => x,
            None => return Ok(-1),
        };
        let ncols = cols.len();
        if rows.is_empty() || ncols == 0 {
            return Ok(2);
        }
        match res {
            None => Ok(3),
            Some(r) => {
                self.sql
                    .results
                    .insert(r.to_string(), SqlResult { cols, rows });
                Ok(1)
            }
        }
    }

    /// Run a query: None when SQLite refuses it.
    #[allow(clippy::type_complexity)]
    fn sql_run(
        &mut self,
        con: &str,
        query: &str,
    ) -> Result<Option<(Vec<String>, Vec<Vec<Val>>)>, String> {
        let c = self.sql_con(con)?;
        let mut st = match c.prepare(query) {
            Ok(s) => s,
            Err(_) => return Ok(None),
        };
        let cols: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
        let ncols = cols.len();
        let mut rows: Vec<Vec<Val>> = Vec::new();
        {
            let mut q = match st.query([]) {
                Ok(q) => q,
                Err(_) => return Ok(None),
            };
            loop {
                match q.next() {
                    Ok(Some(row)) => {
                        let mut v = Vec::with_capacity(ncols);
                        for i in 0..ncols {
                            v.push(match row.get_ref(i) {
                                Ok(ValueRef::Integer(n)) => Val::Int(n),
                                Ok(ValueRef::Real(f)) => Val::Str(format!("{f}")),
                                Ok(ValueRef::Text(t)) | Ok(ValueRef::Blob(t)) => {
                                    Val::Str(String::from_utf8_lossy(t).into_owned())
                                }
                                _ => Val::Null,
                            });
                        }
                        rows.push(v);
                    }
                    Ok(None) => break,
                    Err(_) => return Ok(None),
                }
            }
        }
        Ok(Some((cols, rows)))
    }

    /// `$dbr(name=>rows|cols|[r,c]|colname[c])`.
    pub(crate) fn dbr(&self, inner: &str) -> Val {
        let (name, key) = inner.split_once("=>").unwrap_or((inner, ""));
        let (name, key) = (name.trim(), key.trim());
        let r = self.sql.results.get(name);
        let empty = SqlResult::default();
        let r = r.unwrap_or(&empty);
        match key {
            "rows" => Val::Int(r.rows.len() as i64),
            "cols" => Val::Int(r.cols.len() as i64),
            k if k.starts_with("colname[") => k
                .trim_start_matches("colname[")
                .trim_end_matches(']')
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|c| r.cols.get(c))
                .map(|s| Val::Str(s.clone()))
                .unwrap_or(Val::Null),
            k if k.starts_with('[') => {
                let inner = k.trim_start_matches('[').trim_end_matches(']');
                let mut p = inner.split(',').map(|x| x.trim().parse::<usize>().ok());
                match (p.next().flatten(), p.next().flatten()) {
                    (Some(row), Some(col)) => r
                        .rows
                        .get(row)
                        .and_then(|x| x.get(col))
                        .cloned()
                        .unwrap_or(Val::Null),
                    _ => Val::Null,
                }
            }
            _ => Val::Null,
        }
    }
}
