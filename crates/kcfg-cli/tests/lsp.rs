//! End-to-end: start the real `kcfg lsp` and speak JSON-RPC over its
//! standard streams as an editor does: initialize → didOpen →
//! publishDiagnostics → hover → completion → definition → rename →
//! formatting → didChange (incremental) → publishDiagnostics → shutdown →
//! exit.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Server {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// notifications seen while waiting for responses
    notifications: Vec<Value>,
}

impl Server {
    fn start(dir: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kcfg"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kcfg lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                r.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            rx,
            next_id: 1,
            notifications: Vec::new(),
        }
    }

    fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&mut self) -> Value {
        self.rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a message from the server within 30 s")
    }

    /// Send a request and wait for its response (answering the server's
    /// own requests with null).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.recv();
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return m;
            }
            if m.get("method").is_some() && m.get("id").is_some() {
                let rid = m["id"].clone();
                self.send(&json!({"jsonrpc": "2.0", "id": rid, "result": null}));
                continue;
            }
            self.notifications.push(m);
        }
    }

    /// Wait for a publishDiagnostics for `uri` (with `version`).
    fn diagnostics_for(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let version = json!(version);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(i) = self.notifications.iter().position(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri
                    && m["params"]["version"] == version
            }) {
                let m = self.notifications.remove(i);
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            assert!(
                Instant::now() < deadline,
                "no diagnostics for {uri} {version}"
            );
            let m = self.recv();
            self.notifications.push(m);
        }
    }
}

fn pos(text: &str, needle: &str, delta: usize) -> Value {
    // LSP position (UTF-16) of `needle` + delta bytes
    let off = text.find(needle).unwrap_or_else(|| panic!("{needle}")) + delta;
    let line = text[..off].matches('\n').count();
    let start = text[..off].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": text[start..off].encode_utf16().count()})
}

#[test]
fn an_editor_session_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let routes = "route[RELAY] {\n\tif (!t_relay()) {\n\t\tdrop;\n\t}\n\texit;\n}\n";
    std::fs::write(dir.path().join("routes.cfg"), routes).unwrap();
    let main_path = dir.path().join("kamailio.cfg");
    // non-ASCII before the positions used below (UTF-16 columns differ from bytes)
    let text = "# café 😀\nloadmodule \"tm.so\"\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\ninclude_file \"routes.cfg\"\nrequest_route {\n\t$var(dst) = \"é\"; xlog(\"L_INFO\", \"😀 $var(dst)\\n\");\n\troute(RELAY);\n\tt_relay()\n}\n";
    std::fs::write(&main_path, text).unwrap();
    let uri = format!("file://{}", main_path.display());
    let routes_uri = format!("file://{}", dir.path().join("routes.cfg").display());

    let mut s = Server::start(dir.path());
    let init = s.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": format!("file://{}", dir.path().display()),
            "capabilities": {},
            "initializationOptions": {"kamailioVersion": "6.0", "defines": ["WITH_AUTH"]}
        }),
    );
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"], 2); // incremental
    assert_eq!(caps["documentFormattingProvider"], true);
    assert_eq!(caps["documentRangeFormattingProvider"], true);
    s.notify("initialized", json!({}));
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "kamailio", "version": 1, "text": text}}),
    );

    // the missing `;` after t_relay(): KC001, as `kcfg check` reports it
    let d = s.diagnostics_for(&uri, Some(1));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "KC001");
    assert_eq!(d[0]["range"]["start"], pos(text, "t_relay()\n}", 9));
    // the included file gets its (empty) list too
    // (not open: no version), here without findings
    assert!(s.diagnostics_for(&routes_uri, None).is_empty());

    // hover after non-ASCII text on the line
    let h = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": pos(text, "$var(dst)\\n", 6)}),
    );
    let md = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(md.contains("pseudo-variable `$var`"), "{md}");
    assert_eq!(h["result"]["range"]["start"], pos(text, "$var(dst)\\n", 0));

    // completion of a function of a loaded module
    let c = s.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": pos(text, "t_relay()\n}", 2)}),
    );
    let items = c["result"].as_array().unwrap();
    let relay = items
        .iter()
        .find(|i| i["label"] == "t_relay")
        .expect("t_relay");
    assert_eq!(relay["insertTextFormat"], 2); // snippet
    assert_eq!(relay["textEdit"]["newText"], "t_relay(${1:p1}, ${2:p2})");

    // definition of RELAY in the included file (read from disk)
    let g = s.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": pos(text, "route(RELAY)", 7)}),
    );
    let loc = &g["result"][0];
    assert_eq!(loc["uri"], routes_uri);
    assert_eq!(loc["range"]["start"], json!({"line": 0, "character": 6}));

    // rename $var(dst): both occurrences on the line, UTF-16 columns
    let r = s.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": pos(text, "$var(dst) =", 6), "newName": "target"}),
    );
    let edits = r["result"]["changes"][&uri].as_array().unwrap();
    assert_eq!(edits.len(), 2, "{r}");
    let starts: Vec<&Value> = edits.iter().map(|e| &e["range"]["start"]).collect();
    assert!(starts.contains(&&pos(text, "$var(dst) =", 5)));
    assert!(starts.contains(&&pos(text, "$var(dst)\\n", 5)));

    // the expanded config (`kcfg.expand`): the include inlined, as `kcfg expand` prints it
    assert!(caps["executeCommandProvider"]["commands"]
        .as_array()
        .unwrap()
        .contains(&json!("kcfg.expand")));
    let e = s.request(
        "workspace/executeCommand",
        json!({"command": "kcfg.expand", "arguments": [uri]}),
    );
    let expanded = e["result"]["text"].as_str().expect("expanded text");
    assert!(
        expanded.contains("route[RELAY] {\n\tif (!t_relay()) {"),
        "{expanded}"
    );
    assert!(!expanded.contains("include_file"), "{expanded}");
    assert_eq!(e["result"]["errors"], json!([]));
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_kcfg"))
        .args(["expand", "-D", "WITH_AUTH"])
        .arg(&main_path)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&cli.stdout), expanded);

    // formatting: the file has a syntax error (the missing `;`), so kcfg-fmt
    // keeps that route block byte for byte; `$var(dst) = ...; xlog(...)` in it
    // stays on one line. The same as `kcfg fmt` prints.
    let f = s.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert!(f.get("error").is_none(), "{f}");
    let edits = f["result"].as_array().cloned().unwrap_or_default();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_kcfg"))
        .args(["fmt", "-"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let cli_text = String::from_utf8_lossy(&cli.stdout).to_string();
    // tabs from the CLI's default, spaces from the editor's options: compare
    // without indentation
    let strip =
        |t: &str| -> Vec<String> { t.lines().map(|l| l.trim_start().to_string()).collect() };
    assert_eq!(edits.is_empty(), cli_text == text, "{f}\n{cli_text}");
    assert!(cli_text.contains("$var(dst) = \"é\"; xlog("), "{cli_text}");
    assert_eq!(
        strip(&cli_text),
        strip(text),
        "only indentation may differ here"
    );

    // incremental edits: add the `;`, then break a function name
    let semi_at = pos(text, "t_relay()\n}", 9);
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": semi_at, "end": semi_at}, "text": ";"}
        ]}),
    );
    // now the lints run on the route (they wait for syntax errors to go):
    // the unchecked `t_relay()` (KC306, a warning)
    let d = s.diagnostics_for(&uri, Some(2));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "KC306");
    assert_eq!(d[0]["severity"], 2);
    let t_at = pos(text, "t_relay()\n}", 0);
    let t_end = pos(text, "t_relay()\n}", 7);
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"range": {"start": t_at, "end": t_end}, "text": "t_relayy"}
        ]}),
    );
    let d = s.diagnostics_for(&uri, Some(3));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "KC103");
    assert!(d[0]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `t_relay`"));

    let sd = s.request("shutdown", Value::Null);
    assert!(sd.get("error").is_none(), "{sd}");
    s.notify("exit", Value::Null);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "kcfg lsp did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `[lint]` of kcfg.toml (select, ignore, per-file ignores) changes the
/// server's diagnostics exactly as it changes `kcfg check`'s.
#[test]
fn lint_settings_of_kcfg_toml_are_those_of_kcfg_check() {
    // KC201 (`.`), KC306 and other lint findings, and a KC103 of kcfg-sema
    let text = "loadmodule \"pv.so\"\nloadmodule \"tm.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\t$var(a) = \"x\" . $ci;\n\t$var(b) = 1;\n\tsl_send_reply(\"200\", \"OK\");\n\tt_relay();\n}\nroute[UNUSED] {\n\texit;\n}\n";
    // (code, start line, start column (1-based, ASCII text)) of `kcfg check`
    let check_codes = |dir: &std::path::Path| -> Vec<(String, u64, u64)> {
        let out = Command::new(env!("CARGO_BIN_EXE_kcfg"))
            .args(["check", "--format", "json", "kamailio.cfg"])
            .current_dir(dir)
            .output()
            .expect("run kcfg check");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json output");
        let mut codes: Vec<_> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["range"]["start"]["line"].as_u64().unwrap() - 1,
                    d["range"]["start"]["column"].as_u64().unwrap() - 1,
                )
            })
            .collect();
        codes.sort();
        codes
    };
    let lsp_codes = |dir: &std::path::Path| -> Vec<(String, u64, u64)> {
        let main_path = dir.join("kamailio.cfg");
        let uri = format!("file://{}", main_path.display());
        let mut s = Server::start(dir);
        s.request(
            "initialize",
            json!({"processId": null, "rootUri": format!("file://{}", dir.display()), "capabilities": {}}),
        );
        s.notify("initialized", json!({}));
        s.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "kamailio", "version": 1, "text": text}}),
        );
        let d = s.diagnostics_for(&uri, Some(1));
        s.request("shutdown", json!(null));
        s.notify("exit", json!(null));
        let _ = s.child.wait();
        let mut codes: Vec<_> = d
            .iter()
            .filter(|d| d.get("code").is_some())
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["range"]["start"]["line"].as_u64().unwrap(),
                    d["range"]["start"]["character"].as_u64().unwrap(),
                )
            })
            .collect();
        codes.sort();
        codes
    };
    let tomls = [
        "",
        "[lint]\nignore = [\"KC306\"]\n",
        "[lint]\nselect = [\"KC2\"]\nignore = [\"KC201\"]\n",
        "[lint]\nper-file-ignores = { \"kamailio.cfg\" = [\"KC3\", \"KC5\"] }\n",
        "kamailio-version = \"5.6\"\n[lint]\nselect = [\"ALL\"]\nper-file-ignores = { \"other-*.cfg\" = [\"KC2\"] }\n",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for toml in tomls {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kamailio.cfg"), text).unwrap();
        std::fs::write(dir.path().join("kcfg.toml"), toml).unwrap();
        let expected = check_codes(dir.path());
        let got = lsp_codes(dir.path());
        assert_eq!(got, expected, "kcfg.toml:\n{toml}");
        seen.insert(expected);
    }
    // the settings did change the findings
    assert!(seen.len() >= 4, "{seen:?}");
}
