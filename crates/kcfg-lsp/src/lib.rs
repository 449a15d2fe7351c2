//! # kcfg-lsp — the language server for kamailio.cfg
//!
//! [tower-lsp-server](https://docs.rs/tower-lsp-server) glue over
//! [`kcfg_ide`]: the only crate that knows LSP types. `kcfg lsp` calls
//! [`run_stdio`]. See [`server`] for ordering, cancellation and panics,
//! [`config`] for the settings, [`conv`] for positions.

pub mod config;
pub mod conv;
pub mod server;

use tower_lsp_server::{LspService, Server};

/// Serve the protocol over standard input/output until `exit` (or the end
/// of the input). Logs go to standard error and to the client.
pub fn run_stdio() -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (service, socket) = LspService::new(server::Backend::new);
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    // blocking tasks still computing on a snapshot are not waited for
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(())
}
