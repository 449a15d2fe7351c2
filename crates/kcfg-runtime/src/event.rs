//! What a run produces: per incoming message a record of the routes
//! taken, the actions, the log lines, and what was sent (replies and
//! forwarded requests with their destination). This is the form trace
//! regression (`--compare`) lines up with a capture.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;
use smol_str::SmolStr;

use crate::capture::Proto;
use crate::ir::Loc;

/// A message the config sends.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// `reply` (to the sender of a request), `request` (forwarded or
    /// generated), `relayed-reply` (a next hop's reply passed upstream)
    pub kind: &'static str,
    /// who produced it: `sl`, `tm`, `core`, `registrar`, ...
    pub by: &'static str,
    pub proto: Proto,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub start_line: String,
    /// name and value (shared with the message sent: no copy of the text)
    pub headers: Vec<(SmolStr, SmolStr)>,
    pub body: String,
    /// virtual time it was sent (seconds)
    pub at: f64,
}

fn ser_arc_str<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

fn ser_arc_sent<S: serde::Serializer>(v: &Arc<Sent>, s: S) -> Result<S::Ok, S::Error> {
    Serialize::serialize(&**v, s)
}

/// One step of the timeline.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Step {
    Route {
        #[serde(serialize_with = "ser_arc_str")]
        route: Arc<str>,
        at: Loc,
    },
    Call {
        #[serde(serialize_with = "ser_arc_str")]
        function: Arc<str>,
        ret: i64,
        at: Loc,
    },
    Log {
        level: String,
        text: String,
        at: Loc,
    },
    /// behind a pointer: a step is moved twice per message, and this one is
    /// large; shared: a transaction keeps the last reply it sent upstream
    /// (for a retransmission) without a copy
    Send(#[serde(serialize_with = "ser_arc_sent")] Arc<Sent>),
    Drop {
        reason: String,
    },
    Unsupported {
        function: String,
        at: Loc,
    },
    Error {
        message: String,
        at: Option<Loc>,
    },
    Note {
        text: String,
    },
}

/// What happened to one incoming message (or a timer).
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub index: usize,
    /// the input message (0-based) whose processing produced this record
    pub input: usize,
    /// `request`, `reply`, `timer`
    pub trigger: SmolStr,
    pub at: f64,
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub proto: Option<Proto>,
    pub start_line: String,
    pub call_id: SmolStr,
    pub cseq: SmolStr,
    /// the incoming message's headers (to show what the config changed)
    #[serde(skip)]
    pub in_headers: Vec<(SmolStr, SmolStr)>,
    pub steps: Vec<Step>,
}

impl Record {
    pub fn sent(&self) -> impl Iterator<Item = &Sent> {
        self.steps.iter().filter_map(|s| match s {
            Step::Send(x) => Some(&**x),
            _ => None,
        })
    }
    pub fn logs(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().filter_map(|s| match s {
            Step::Log { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub messages: usize,
    pub requests: usize,
    pub replies_in: usize,
    pub calls: usize,
    pub replies_sent_by_code: BTreeMap<u16, usize>,
    pub requests_forwarded: usize,
    pub dropped: usize,
    pub parse_errors: usize,
    /// function → (count, first place)
    pub unsupported: BTreeMap<String, (usize, String)>,
    pub errors: usize,
    /// true when nothing was skipped: every function the messages reached was simulated
    pub complete: bool,
}
