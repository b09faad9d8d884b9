//! scratch
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]
#[path = "common/mod.rs"]
mod common;
use common::*;
use std::time::Instant;
fn main() {
    for n in [1_000usize, 100_000, 1_000_000] {
        let s = Shape::seed(n);
        let t = Instant::now();
        let def = generate(&s);
        let g = t.elapsed();
        let t = Instant::now();
        let p = accessmask::Policy::compile(&def).unwrap();
        let c = t.elapsed();
        let t = Instant::now();
        drop(p);
        println!(
            "{n}: gen {g:?} compile {c:?} drop {:?} exc {}",
            t.elapsed(),
            s.exception_count()
        );
    }
    let s = Shape {
        subjects: 100_000,
        exception_every: 1,
        exceptions_per_subject: 10,
        ..Shape::seed(0)
    };
    let def = generate(&s);
    let t = Instant::now();
    let p = accessmask::Policy::compile(&def).unwrap();
    println!("1M exc compile {:?}", t.elapsed());
    drop(p);
    let s = Shape {
        subjects: 10_000,
        roles: 1000,
        ..Shape::seed(0)
    };
    let t = Instant::now();
    let _p = compile(&s);
    println!("1000 roles {:?}", t.elapsed());
    let s = Shape {
        subjects: 10_000,
        kinds: 64,
        ..Shape::seed(0)
    };
    let t = Instant::now();
    let _p = compile(&s);
    println!("64 kinds {:?}", t.elapsed());
}
