//! The permissions module (Kamailio 5.6.3's address.c, hash.c,
//! permissions.c, parse_config.c, rule.c):
//!
//! - the address table: `allow_source_address([group])`,
//!   `allow_address(group, ip, port)`, `allow_source_address_group()`,
//!   `allow_address_group(ip, port)`. Rows come from the scenario
//!   (`addresses`, or `#@address` lines of a `.sip` file) or from
//!   `modparam("permissions", "address_file", ...)`, in the address-file
//!   format `GROUP ADDRESS [MASK [PORT [TAG]]]`. A /32 (/128) address goes
//!   to the address table, a shorter mask to the subnet table, a name to
//!   the domain table; port 0 matches any port. A table Kamailio would read
//!   from a database (`db_url` without `address_file`) is reported
//!   unsupported unless the scenario gives the rows.
//! - allow/deny rule files: `allow_routing()` (the `default_allow_file` /
//!   `default_deny_file`, `permissions.allow`/`.deny` next to the config),
//!   `allow_routing(basename)`, `allow_routing(allow, deny)`,
//!   `allow_register(basename)`, `allow_register(allow, deny)`, with
//!   check_routing's and check_register's order of allow and deny rules
//!   (POSIX extended regexes, case-insensitive, unanchored).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::engine::{Ctx, Runtime};
use crate::ir::Call;
use crate::sip::{NameAddr, Uri};

/// One row of the address table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrRow {
    pub grp: i64,
    pub addr: String,
    pub mask: u32,
    pub port: u16,
    pub tag: Option<String>,
}

/// The address, subnet and domain tables.
#[derive(Debug, Clone, Default)]
pub struct AddrTables {
    /// exact addresses (insertion order; later rows are found first, as the
    /// hash buckets are prepended)
    pub exact: Vec<(i64, IpAddr, u16, Option<String>)>,
    /// subnets sorted by group (insertion order within a group)
    pub subnets: Vec<(i64, IpAddr, u32, u16, Option<String>)>,
    pub domains: Vec<(i64, String, u16, Option<String>)>,
}

/// Parse address-file lines (address.c `reload_address_file_table`).
pub fn parse_address_lines(lines: &[String]) -> Result<Vec<AddrRow>, String> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let l = l.split('#').next().unwrap_or("");
        let mut it = l.split_whitespace();
        let Some(g) = it.next() else { continue };
        let num = |s: &str| -> i64 {
            let d: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
            d.parse().unwrap_or(0)
        };
        let Some(addr) = it.next() else {
            return Err(format!("line {}: no address", i + 1));
        };
        out.push(AddrRow {
            grp: num(g),
            addr: addr.to_string(),
            mask: it.next().map(num).unwrap_or(0) as u32,
            port: it.next().map(num).unwrap_or(0) as u16,
            tag: it.next().map(str::to_string),
        });
    }
    Ok(out)
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim_matches(['[', ']']).parse().ok()
}

impl AddrTables {
    pub fn build(rows: &[AddrRow]) -> Result<AddrTables, String> {
        let mut t = AddrTables::default();
        for r in rows {
            match parse_ip(&r.addr) {
                Some(ip) => {
                    let full = if ip.is_ipv4() { 32 } else { 128 };
                    if r.mask > full {
                        return Err(format!("bad mask {} for {}", r.mask, r.addr));
                    }
                    let mask = if r.mask == 0 { full } else { r.mask };
                    if mask == full {
                        t.exact.push((r.grp, ip, r.port, r.tag.clone()));
                    } else {
                        let pos = t
                            .subnets
                            .iter()
                            .position(|s| s.0 > r.grp)
                            .unwrap_or(t.subnets.len());
                        t.subnets
                            .insert(pos, (r.grp, ip, mask, r.port, r.tag.clone()));
                    }
                }
                None => t
                    .domains
                    .push((r.grp, r.addr.clone(), r.port, r.tag.clone())),
            }
        }
        Ok(t)
    }

    /// The group and tag of the first match (`grp` `None`: any group).
    fn find(&self, grp: Option<i64>, addr: &str, port: u16) -> Option<(i64, Option<String>)> {
        let pm = |p: u16| p == 0 || p == port;
        let gm = |g: i64| grp.is_none_or(|x| x == g);
        match parse_ip(addr) {
            Some(ip) => {
                if let Some(e) = self
                    .exact
                    .iter()
                    .rev()
                    .find(|e| gm(e.0) && e.1 == ip && pm(e.2))
                {
                    return Some((e.0, e.3.clone()));
                }
                self.subnets
                    .iter()
                    .find(|s| gm(s.0) && pm(s.3) && in_subnet(ip, s.1, s.2))
                    .map(|s| (s.0, s.4.clone()))
            }
            None => self
                .domains
                .iter()
                .find(|d| gm(d.0) && d.1.eq_ignore_ascii_case(addr) && pm(d.2))
                .map(|d| (d.0, d.3.clone())),
        }
    }
}

fn in_subnet(ip: IpAddr, net: IpAddr, mask: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = if mask == 0 {
                0
            } else {
                u32::MAX << (32 - mask)
            };
            u32::from(a) & m == u32::from(b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = if mask == 0 {
                0
            } else {
                u128::MAX << (128 - mask)
            };
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

/// One rule of an allow/deny file: (left, left exceptions, right, right
/// exceptions); `None` is `ALL`.
type Exprs = Option<Vec<regex::Regex>>;
#[derive(Debug, Clone)]
pub struct Rule {
    left: Exprs,
    left_exc: Vec<regex::Regex>,
    right: Exprs,
    right_exc: Vec<regex::Regex>,
}

fn parse_expr_list(s: &str) -> Option<Vec<regex::Regex>> {
    // comma-separated, quotes group (parse_expression_list)
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let push = |w: &str, out: &mut Vec<regex::Regex>| -> Option<()> {
        let w = w.trim_matches([' ', '\t']);
        let w = w.strip_prefix('"').unwrap_or(w);
        let w = w.strip_suffix('"').unwrap_or(w);
        if w.is_empty() {
            return None;
        }
        out.push(
            regex::RegexBuilder::new(w)
                .case_insensitive(true)
                .build()
                .ok()?,
        );
        Some(())
    };
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => {
                push(&cur, &mut out)?;
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    push(&cur, &mut out)?;
    Some(out)
}

fn parse_side(s: &str) -> Option<(Exprs, Vec<regex::Regex>)> {
    let (main, exc) = match s.find(" EXCEPT ") {
        Some(i) => (&s[..i], Some(&s[i + 8..])),
        None => (s, None),
    };
    let exc = match exc {
        Some(e) => parse_expr_list(e)?,
        None => Vec::new(),
    };
    let main = main.trim();
    if main == "ALL" {
        Some((None, exc))
    } else {
        Some((Some(parse_expr_list(main)?), exc))
    }
}

/// Parse an allow/deny file (parse_config.c); bad lines are skipped.
pub fn parse_rules(text: &str) -> Vec<Rule> {
    let mut out = Vec::new();
    for line in text.lines() {
        // the line ends at an unquoted '#'; the colon is the last unquoted one
        let mut quoted = false;
        let mut colon = None;
        let mut end = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ':' if !quoted => colon = Some(i),
                '#' if !quoted => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let line = &line[..end];
        let Some(colon) = colon.filter(|c| *c > 0 && c + 1 < line.len()) else {
            continue;
        };
        let (Some((left, left_exc)), Some((right, right_exc))) =
            (parse_side(&line[..colon]), parse_side(&line[colon + 1..]))
        else {
            continue;
        };
        out.push(Rule {
            left,
            left_exc,
            right,
            right_exc,
        });
    }
    out
}

fn any(es: &[regex::Regex], v: &str) -> bool {
    es.iter().any(|r| r.is_match(v))
}

/// rule.c `search_rule`.
fn search_rule(rules: &[Rule], left: &str, right: &str) -> bool {
    rules.iter().any(|r| {
        r.left.as_ref().is_none_or(|e| any(e, left))
            && !any(&r.left_exc, left)
            && r.right.as_ref().is_none_or(|e| any(e, right))
            && !any(&r.right_exc, right)
    })
}

/// permissions.c `get_plain_uri`: `sip:user@host` or `sip:host`.
fn plain_uri(u: &str) -> Option<String> {
    let u = Uri::parse(u)?;
    Some(if u.user.is_empty() {
        format!("sip:{}", u.host)
    } else {
        format!("sip:{}@{}", u.user, u.host)
    })
}

/// permissions.c `get_pathname`: a name without `/` is in the config's
/// directory, any other path is used as it is.
fn pathname(name: &str, cfg_dir: Option<&Path>) -> PathBuf {
    if name.contains('/') {
        PathBuf::from(name)
    } else {
        cfg_dir.map(|d| d.join(name)).unwrap_or_else(|| name.into())
    }
}

/// State of the permissions module.
#[derive(Debug, Default)]
pub struct PermState {
    /// address rows given by the scenario (replace `address_file`)
    pub scenario_rows: Option<Vec<AddrRow>>,
    tables: Option<Result<AddrTables, String>>,
    /// rule files by resolved path
    rules: HashMap<PathBuf, Vec<Rule>>,
}

impl Runtime {
    /// A file the module reads: the scenario's `files` first, then the disk.
    pub(crate) fn module_file(&self, name: &str, cfg_dir: Option<&Path>) -> Option<String> {
        if let Some(t) = self.ext.files.get(name) {
            return Some(t.clone());
        }
        std::fs::read_to_string(pathname(name, cfg_dir)).ok()
    }

    fn addr_tables(&mut self, cfg_dir: Option<&Path>) -> Result<&AddrTables, String> {
        if self.ext.perm.tables.is_none() {
            let t = if let Some(rows) = &self.ext.perm.scenario_rows {
                AddrTables::build(rows)
            } else if let Some(f) = self.prog.modparam_str("permissions", "address_file") {
                match self.module_file(&f, cfg_dir) {
                    Some(text) => {
                        let lines: Vec<String> = text.lines().map(str::to_string).collect();
                        parse_address_lines(&lines).and_then(|r| AddrTables::build(&r))
                    }
                    None => Err(format!("cannot read address_file `{f}`")),
                }
            } else if self.prog.modparam("permissions", "db_url").is_some() {
                Err("the address table is read from the database (db_url); give the rows as `addresses` in the scenario".into())
            } else {
                // no address table at all: every check fails
                Ok(AddrTables::default())
            };
            self.ext.perm.tables = Some(t);
        }
        match self.ext.perm.tables.as_ref() {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(e.clone()),
            None => Err("no address table".into()),
        }
    }

    fn rules_of(&mut self, name: &str, cfg_dir: Option<&Path>) -> Vec<Rule> {
        let path = pathname(name, cfg_dir);
        if let Some(r) = self.ext.perm.rules.get(&path) {
            return r.clone();
        }
        let text = self
            .ext
            .files
            .get(name)
            .cloned()
            .or_else(|| std::fs::read_to_string(&path).ok())
            .unwrap_or_default();
        let r = parse_rules(&text);
        self.ext.perm.rules.insert(path, r.clone());
        r
    }

    /// The allow and deny rules a function's arguments name.
    fn rule_pair(&mut self, ctx: &mut Ctx, c: &Call, dir: Option<&Path>) -> (Vec<Rule>, Vec<Rule>) {
        let (a, d) = match c.args.len() {
            0 => (
                self.prog
                    .modparam_str("permissions", "default_allow_file")
                    .unwrap_or_else(|| "permissions.allow".into()),
                self.prog
                    .modparam_str("permissions", "default_deny_file")
                    .unwrap_or_else(|| "permissions.deny".into()),
            ),
            1 => {
                let base = self.eval_arg(ctx, &c.args[0]);
                let sa = self
                    .prog
                    .modparam_str("permissions", "allow_suffix")
                    .unwrap_or_else(|| ".allow".into());
                let sd = self
                    .prog
                    .modparam_str("permissions", "deny_suffix")
                    .unwrap_or_else(|| ".deny".into());
                (format!("{base}{sa}"), format!("{base}{sd}"))
            }
            _ => (
                self.eval_arg(ctx, &c.args[0]),
                self.eval_arg(ctx, &c.args[1]),
            ),
        };
        (self.rules_of(&a, dir), self.rules_of(&d, dir))
    }

    /// An `igp` parameter (fixup_igp_null): a literal is converted once, a
    /// PV must hold an integer (`get_int_fparam`: a string in a PV, even
    /// "5", is an error, measured on 5.6.3); `None` is that error.
    pub(crate) fn int_param(&mut self, ctx: &mut Ctx, e: &crate::ir::Expr) -> Option<i64> {
        use crate::ir::{Expr, FmtPart};
        let pv = match e {
            Expr::Pv(p) => Some((**p).clone()),
            Expr::Str(f) => match f.parts.as_slice() {
                [FmtPart::Pv(p)] => Some((**p).clone()),
                _ => None,
            },
            _ => None,
        };
        match pv {
            Some(pv) => match self.get_pv(ctx, &pv) {
                crate::value::Val::Int(i) => Some(i),
                _ => None,
            },
            None => crate::value::str2sint(self.eval_arg(ctx, e).trim()),
        }
    }

    /// permissions functions; `None` when `c` is not one of them.
    pub(crate) fn perm_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        let file: String = c.loc.file.to_string();
        let dir = Path::new(&file).parent().map(Path::to_path_buf);
        let dir = dir.as_deref();
        let r = match n {
            "allow_source_address"
            | "allow_address"
            | "allow_source_address_group"
            | "allow_address_group" => {
                let (grp, addr, port) = match n {
                    "allow_source_address" => {
                        let g = if c.args.is_empty() {
                            1
                        } else {
                            match self.int_param(ctx, &c.args[0]) {
                                Some(g) => g,
                                None => return Some(-1),
                            }
                        };
                        (Some(g), ctx.src.ip().to_string(), ctx.src.port())
                    }
                    "allow_address" if c.args.len() == 3 => {
                        let Some(g) = self.int_param(ctx, &c.args[0]) else {
                            return Some(-1);
                        };
                        let a = self.eval_arg(ctx, &c.args[1]);
                        let Some(p) = self.int_param(ctx, &c.args[2]) else {
                            return Some(-1);
                        };
                        (Some(g), a, p as u16)
                    }
                    "allow_source_address_group" => {
                        (None, ctx.src.ip().to_string(), ctx.src.port())
                    }
                    "allow_address_group" if c.args.len() == 2 => {
                        let a = self.eval_arg(ctx, &c.args[0]);
                        let Some(p) = self.int_param(ctx, &c.args[1]) else {
                            return Some(-1);
                        };
                        (None, a, p as u16)
                    }
                    _ => return None,
                };
                // allow_source_address never looks at the domain table
                let by_src = n.starts_with("allow_source");
                let found = match self.addr_tables(dir) {
                    Ok(t) => {
                        if by_src && parse_ip(&addr).is_none() {
                            None
                        } else {
                            t.find(grp, &addr, port)
                        }
                    }
                    Err(e) => {
                        self.ext_unsupported(format!("{n}(): {e}"), &c.loc);
                        return Some(-1);
                    }
                };
                if let Some((_, Some(tag))) = &found {
                    if let Some(avp) = self.prog.modparam_str("permissions", "peer_tag_avp") {
                        if let Some(pv) = crate::ir::Pv::parse(&avp) {
                            self.set_pv(ctx, &pv, crate::value::Val::Str(tag.clone()), &c.loc);
                        }
                    }
                }
                match (found, grp) {
                    (Some(_), Some(_)) => 1,
                    (Some((g, _)), None) => g,
                    (None, _) => -1,
                }
            }
            "allow_routing" => {
                let (allow, deny) = self.rule_pair(ctx, c, dir);
                self.check_routing(ctx, &allow, &deny)
            }
            "allow_register" if !c.args.is_empty() => {
                let (allow, deny) = self.rule_pair(ctx, c, dir);
                self.check_register(ctx, &allow, &deny)
            }
            _ => return None,
        };
        Some(r)
    }

    fn check_all_branches(&self) -> bool {
        self.prog
            .modparam_int("permissions", "check_all_branches", 1)
            != 0
    }

    /// permissions.c `check_routing`.
    fn check_routing(&mut self, ctx: &mut Ctx, allow: &[Rule], deny: &[Rule]) -> i64 {
        if allow.is_empty() && deny.is_empty() {
            return 1;
        }
        let Some(from) = ctx.msg.header("from").map(|v| NameAddr::parse(v).uri) else {
            return -1;
        };
        let Some(ru) = Uri::parse(ctx.msg.ruri()) else {
            return -1;
        };
        let ruri = format!("sip:{}@{}", ru.user, ru.host);
        let all = self.check_all_branches();
        if search_rule(allow, &from, &ruri) {
            if !all {
                return 1;
            }
        } else {
            if search_rule(deny, &from, &ruri) {
                return -1;
            }
            if !all {
                return 1;
            }
        }
        for (b, _) in &ctx.branches {
            let Some(u) = plain_uri(b) else { return -1 };
            if search_rule(allow, &from, &u) {
                continue;
            }
            if search_rule(deny, &from, &u) {
                return -1;
            }
        }
        1
    }

    /// permissions.c `check_register` (an allow rule does not stop the deny
    /// check unless `check_all_branches` is set, as in Kamailio).
    fn check_register(&mut self, ctx: &mut Ctx, allow: &[Rule], deny: &[Rule]) -> i64 {
        if allow.is_empty() && deny.is_empty() {
            return 1;
        }
        let Some(to) = ctx.msg.header("to").map(|v| NameAddr::parse(v).uri) else {
            return -1;
        };
        let contacts = ctx.msg.header_elems("contact");
        if contacts.is_empty() || contacts.iter().any(|c| c.trim() == "*") {
            return 1;
        }
        let all = self.check_all_branches();
        for c in contacts {
            let Some(cu) = plain_uri(&NameAddr::parse(&c).uri) else {
                return -1;
            };
            if search_rule(allow, &to, &cu) && all {
                continue;
            }
            if search_rule(deny, &to, &cu) {
                return -1;
            }
        }
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_tables() {
        let rows = parse_address_lines(&[
            "# comment".into(),
            "1 10.0.0.1".into(),
            "1 192.168.0.0 16 0".into(),
            "2 10.0.0.1 32 5060 tagged".into(),
            "3 gw.example.com 0 0".into(),
        ])
        .unwrap();
        let t = AddrTables::build(&rows).unwrap();
        assert_eq!(t.find(Some(1), "10.0.0.1", 7), Some((1, None)));
        assert_eq!(t.find(Some(2), "10.0.0.1", 7), None);
        assert_eq!(
            t.find(Some(2), "10.0.0.1", 5060),
            Some((2, Some("tagged".into())))
        );
        assert_eq!(t.find(Some(1), "192.168.7.7", 1), Some((1, None)));
        assert_eq!(t.find(Some(2), "192.168.7.7", 1), None);
        assert_eq!(t.find(None, "192.168.7.7", 1), Some((1, None)));
        assert_eq!(t.find(Some(3), "GW.example.com", 9), Some((3, None)));
    }

    #[test]
    fn rules() {
        let r = parse_rules(
            "# x\nALL : \"^sip:.*@example\\.com$\" EXCEPT \"^sip:bad@\"\n\"^sip:1\", \"^sip:2\" : ALL\nbroken line\n",
        );
        assert_eq!(r.len(), 2);
        assert!(search_rule(&r, "sip:x@y", "sip:ok@EXAMPLE.com"));
        assert!(!search_rule(&r, "sip:x@y", "sip:bad@example.com"));
        assert!(search_rule(&r, "sip:2@z", "sip:q@w"));
        assert!(!search_rule(&r, "sip:3@z", "sip:q@w"));
    }
}
