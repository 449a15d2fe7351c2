//! Fuzz target `check`: arbitrary bytes → the semantic model and every
//! check (`kcfg_sema::Model::build`) for Kamailio 5.6 and 6.0, with an
//! include of itself and of a missing file reachable.
//!
//! Invariants: no panic; every diagnostic's range lies inside its file's
//! text on char boundaries; the symbol table and the call graph can be built.
#![no_main]

use kcfg_sema::{KamailioVersion, MemoryLoader, Model, SemaOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = kcfg_syntax::decode(data) else {
        return;
    };
    let mut loader = MemoryLoader::new();
    // `include_file "kamailio.cfg"` in the input is an include cycle,
    // `include_file "inc.cfg"` reads the input again under another name
    loader.insert("kamailio.cfg", text);
    loader.insert("inc.cfg", text);
    for version in [KamailioVersion::V5_6, KamailioVersion::V6_0] {
        let options = SemaOptions {
            version,
            defines: vec!["WITH_AUTH".into(), "DBURL=\"text:///tmp\"".into()],
            ..Default::default()
        };
        let model = Model::build("kamailio.cfg", text, &loader, &options);
        for d in &model.diagnostics {
            let file = &model.files[d.file.0].text;
            let (s, e) = (usize::from(d.range.start()), usize::from(d.range.end()));
            assert!(s <= e && e <= file.len(), "{} range {:?} outside the file", d.code, d.range);
            assert!(
                file.is_char_boundary(s) && file.is_char_boundary(e),
                "{} range {:?} splits a char",
                d.code,
                d.range
            );
        }
        let _ = model.symbols().all().len();
        let _ = model.call_graph();
    }
});
