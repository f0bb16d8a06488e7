//! The parser and compiler on arbitrary bytes: every input either compiles
//! or gives an error that renders with its source location.

use std::path::Path;

use spindle::VmKind;

use crate::common::{evaluator, render};

pub fn run(data: &[u8]) {
    let evaluator = evaluator(VmKind::Fiber);
    let result = spindle::context::source_text(data.to_vec(), "«fuzz»")
        .and_then(|text| evaluator.check_source("«fuzz»".into(), text, Path::new("/fuzz")));
    if let Err(e) = result {
        render(&evaluator, &e);
    }
}
