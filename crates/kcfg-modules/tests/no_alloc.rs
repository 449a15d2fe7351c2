//! The database needs no start-up work: the first access of the process
//! allocates nothing (no JSON parsing, no lazy tables), and neither do the
//! lookups.
//!
//! This file is its own test binary, so its counting allocator sees only this
//! test's allocations (counted per thread, so the harness does not interfere).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use kcfg_modules::{db, BlockKind, KamailioVersion};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

#[test]
fn first_access_and_lookups_do_not_allocate() {
    let before = allocs();
    // The very first touch of the database in this process.
    let d = db(KamailioVersion::V6_0);
    let relay = d.functions("t_relay");
    let tm = d.module_by_file("/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so");
    let fr = d.modparam("tm", "fr_timer").next();
    let ru = d.pv_class("ru");
    let ev = d.event_route("tm:branch-failure:myroute");
    let k = d.kemi("tm.t_relay");
    let sub = d.transformation("s", "substr");
    let gp = d.global_param("shm_mem_size");
    let rw = d.is_reserved_word("port");
    let names = d.function_names().count();
    let master = db(KamailioVersion::Master).functions("t_relay").len();
    let old = db(KamailioVersion::V5_6)
        .module("tm")
        .map(|m| m.functions().len());
    let after = allocs();

    assert_eq!(after - before, 0, "lookups allocated");
    assert!(relay
        .iter()
        .any(|f| f.allowed_in.contains(BlockKind::Request)));
    assert!(tm.is_some() && fr.is_some() && ru.is_some() && ev.is_some());
    assert!(k.is_some() && sub.is_some() && gp.is_some() && rw);
    assert!(names > 1000 && master > 0 && old.unwrap() > 0);

    // the counter does count: a real allocation is seen
    let v = std::hint::black_box(vec![1u8; 16]);
    assert!(allocs() > after);
    drop(v);
}
