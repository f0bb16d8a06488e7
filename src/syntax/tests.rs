//! The parser's own checks; tests/parser.rs compares it with rnix on every
//! valid file there is.

use super::{parse_green, DEEPEST_NESTING, NESTED_TOO_DEEPLY};

fn kinds(source: &str) -> String {
    let node = rnix::SyntaxNode::new_root(parse_green(source).expect("parses"));
    format!("{node:#?}")
}

#[test]
fn a_line_comment_ends_at_a_carriage_return() {
    let tree = kinds("1 # one\r+ 2");
    assert!(tree.contains("TOKEN_COMMENT@2..7"), "{tree}");
    assert!(tree.contains("NODE_BIN_OP"), "{tree}");
}

#[test]
fn zero_dot_selects_from_zero_as_in_nix() {
    // rnix reads `0.` as a float; Nix 2.8 reads `0` and a selection.
    let tree = kinds("0.a");
    assert!(kinds("0.5").contains("TOKEN_FLOAT@0..3"));
    assert!(kinds("1.e").contains("TOKEN_FLOAT@0..2"));
    assert!(tree.contains("NODE_SELECT"), "{tree}");
    assert!(tree.contains("TOKEN_INTEGER@0..1"), "{tree}");
}

#[test]
fn invert_may_be_a_right_operand_as_in_nix() {
    let tree = kinds("1 + !true");
    assert!(tree.contains("NODE_UNARY_OP"), "{tree}");
}

/// Runs `f` on a stack as large as the one parsing runs on.
fn on_parser_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("no panic");
}

#[test]
fn nesting_past_the_limit_is_refused_at_the_token_too_deep() {
    on_parser_stack(nesting_is_refused);
}

fn nesting_is_refused() {
    for (open, close) in [
        ("(", ")"),
        ("[", "]"),
        ("let a = 1; in ", ""),
        ("x: ", ""),
        ("-", ""),
    ] {
        let depth = DEEPEST_NESTING + 5;
        let source = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let e = parse_green(&source).unwrap_err();
        assert_eq!(e.message, NESTED_TOO_DEEPLY, "{open}");
        assert_eq!(e.start, DEEPEST_NESTING * open.len(), "{open}");
        let fits = format!(
            "{}1{}",
            open.repeat(DEEPEST_NESTING),
            close.repeat(DEEPEST_NESTING)
        );
        assert!(parse_green(&fits).is_ok(), "{open}");
    }
}

#[test]
fn long_flat_chains_parse() {
    // Their trees are deep, and rowan drops trees recursively.
    on_parser_stack(flat_chains_parse);
}

fn flat_chains_parse() {
    let n = 200_000;
    for (first, more) in [
        ("1", "+1"),
        ("a", ".a"),
        ("[]", " ++ []"),
        ("{}", "//{}"),
        ("f", " x"),
    ] {
        let source = format!("{first}{}", more.repeat(n));
        assert!(parse_green(&source).is_ok(), "{more}");
    }
}

#[test]
fn errors_name_the_token_and_what_was_expected() {
    let e = parse_green("{ a = ; }").unwrap_err();
    assert_eq!(e.message, "syntax error, unexpected ';'");
    assert_eq!((e.start, e.end), (6, 7));
    let e = parse_green("let a = 1 in a").unwrap_err();
    assert_eq!(e.message, "syntax error, unexpected 'in', expecting ';'");
    let e = parse_green("{ a = 1;").unwrap_err();
    assert!(e.at_end, "{e:?}");
    let e = parse_green("\"abc").unwrap_err();
    assert!(e.at_end, "{e:?}");
    let e = parse_green("1 +)").unwrap_err();
    assert!(!e.at_end, "{e:?}");
    let e = parse_green("a/b/").unwrap_err();
    assert_eq!(e.message, "path 'a/b/' has a trailing slash");
}

#[test]
fn paths_and_operators_are_read_as_nix_reads_them() {
    // A slash not followed by a path character divides.
    assert!(kinds("a/(b)").contains("TOKEN_DIV"));
    assert!(parse_green("./a//b").is_err());
    assert!(kinds("./a // b").contains("TOKEN_UPDATE"));
    assert!(kinds("a.b/c").contains("TOKEN_PATH_REL@0..5"));
    assert!(kinds("./a/${b}/c").contains("TOKEN_PATH_REL@8..10"));
    assert!(kinds("x:x").contains("TOKEN_URI@0..3"));
    assert!(kinds("a_b:c").contains("NODE_LAMBDA"));
    assert!(kinds("<nixpkgs/lib>").contains("TOKEN_PATH_SEARCH@0..13"));
    // A lambda is no operand.
    assert!(parse_green("f x: x").is_err());
    assert!(parse_green("[ x: x ]").is_err());
}
