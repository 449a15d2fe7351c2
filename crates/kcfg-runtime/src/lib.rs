//! # kcfg-runtime — run a kamailio.cfg on SIP messages
//!
//! The reference runtime executes a config's routing logic on messages
//! from a capture (pcap/pcapng) or a text file of SIP messages, and
//! records, message by message, the routes taken, the actions, the log
//! lines and what Kamailio would send (replies and forwarded requests,
//! with their destination). It is measured against real Kamailio 5.6.3
//! by the differential tests in `tests/`.
//!
//! ```
//! use kcfg_runtime::{Config, Input, Runner};
//! let cfg = "loadmodule \"sl.so\"\nloadmodule \"xlog.so\"\nlisten=udp:127.0.0.1:5060\n\
//!            request_route {\n  xlog(\"L_INFO\", \"got $rm\\n\");\n  sl_send_reply(\"404\", \"Nope\");\n}\n";
//! let config = Config::from_text("k.cfg", cfg, &[]).unwrap();
//! let input = Input::from_sip_text("OPTIONS sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\n\
//!     From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: x\nCSeq: 1 OPTIONS\nContent-Length: 0\n", &Default::default()).unwrap();
//! let mut run = Runner::new(&config);
//! run.run(&input);
//! let rec = &run.records()[0];
//! assert_eq!(rec.sent().next().unwrap().start_line, "SIP/2.0 404 Nope");
//! assert_eq!(rec.logs().next(), Some("INFO: <script>: got OPTIONS"));
//! ```

pub mod capture;
pub mod engine;
pub mod event;
mod funcs;
pub mod ir;
mod modules;
pub mod sip;
pub mod sipfile;
mod trans;
pub mod value;

use std::path::Path;

pub use capture::{CaptureStats, Proto, WirePacket};
pub use engine::Runtime;
pub use event::{Record, Sent, Step, Summary};
pub use funcs::SIMULATED;
pub use ir::Program;
pub use sipfile::{Input, SipFileOptions};

use kcfg_sema::{FsLoader, KamailioVersion, MemoryLoader, Model, SemaOptions, Severity};

/// A config ready to run.
pub struct Config {
    pub program: Program,
    /// errors from the checker (a config Kamailio refuses still runs, but the user is told)
    pub errors: Vec<String>,
}

impl Config {
    fn from_model(model: &Model) -> Config {
        let errors = model
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                let f = model.file(d.file);
                format!(
                    "{}:{}: {} {}",
                    f.path.display(),
                    f.line_of(d.range),
                    d.code,
                    d.message
                )
            })
            .collect();
        Config {
            program: ir::lower(model),
            errors,
        }
    }

    /// Read a config file (and its includes) from disk.
    pub fn load(path: &Path, defines: &[String]) -> std::io::Result<Config> {
        let opts = SemaOptions {
            version: KamailioVersion::V5_6,
            defines: defines.to_vec(),
            cwd: path.parent().map(|p| p.to_path_buf()),
        };
        let model = kcfg_sema::analyze_path(path, &FsLoader, &opts)?;
        Ok(Config::from_model(&model))
    }

    /// A config given as text (no includes).
    pub fn from_text(name: &str, text: &str, defines: &[String]) -> Result<Config, String> {
        let opts = SemaOptions {
            version: KamailioVersion::V5_6,
            defines: defines.to_vec(),
            cwd: None,
        };
        let model = Model::build(name, text, &MemoryLoader::new(), &opts);
        Ok(Config::from_model(&model))
    }
}

/// Runs inputs through a config.
pub struct Runner {
    pub rt: Runtime,
    records: Vec<Record>,
}

impl Runner {
    pub fn new(config: &Config) -> Runner {
        let mut rt = Runtime::new(config.program.clone());
        if let Some(d) = config
            .program
            .global("debug")
            .and_then(|v| v.trim().parse().ok())
        {
            rt.debug = d;
        }
        Runner {
            rt,
            records: Vec::new(),
        }
    }

    /// Feed every message of `input` that is addressed to one of the
    /// config's listen addresses (or, for text input, all of them).
    pub fn run(&mut self, input: &Input) {
        for (k, v) in &input.nexthops {
            self.rt.nexthops.insert(*k, v.clone());
        }
        for (k, v) in &input.nexthop_tags {
            self.rt.nexthop_tags.insert(*k, v.clone());
        }
        for (i, p) in input.packets.iter().enumerate() {
            if let Some(cfg) = input.nexthop_changes.get(&i) {
                for (k, v) in cfg {
                    self.rt.nexthops.insert(*k, v.clone());
                }
            }
            if !input.all_to_kamailio && !self.rt.is_local(&p.dst) {
                continue;
            }
            self.rt.receive(p.src, p.dst, p.proto, &p.data, p.ts);
            self.records.extend(self.rt.take_records());
        }
        self.rt.finish();
        self.records.extend(self.rt.take_records());
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn summary(&self) -> &Summary {
        &self.rt.summary
    }
}
