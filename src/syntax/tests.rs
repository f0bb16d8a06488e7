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

#[test]
fn equal_short_tokens_and_leaves_are_shared_and_read_as_unshared() {
    let source =
        "{ a = [ ]; bb = 1; c = [ ]; dd = 1; e = \"a long string\"; f = \"a long string\"; }";
    let green = parse_green(source).expect("parses");
    let root = rnix::SyntaxNode::new_root(green);
    // The tree still reads exactly as the source, with every offset.
    assert_eq!(root.to_string(), source);
    let nodes: Vec<_> = root.descendants().collect();
    let of_kind = |kind| {
        nodes
            .iter()
            .filter(|n| n.kind() == kind)
            .map(|n| (n.green() as *const rowan::GreenNodeData, n.text_range()))
            .collect::<Vec<_>>()
    };
    // `[ ]` and `1` (nodes of a few tokens) are made once each.
    for kind in [rnix::SyntaxKind::NODE_LIST, rnix::SyntaxKind::NODE_LITERAL] {
        let found = of_kind(kind);
        assert_eq!(found.len(), 2, "{kind:?}");
        assert!(std::ptr::eq(found[0].0, found[1].0), "{kind:?} shared");
        assert_ne!(found[0].1, found[1].1, "{kind:?} at its own offsets");
    }
    // So are the `=` tokens; names of different lengths are not confused.
    let tokens: Vec<_> = root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .collect();
    let assigns: Vec<_> = tokens
        .iter()
        .filter(|t| t.kind() == rnix::SyntaxKind::TOKEN_ASSIGN)
        .collect();
    assert_eq!(assigns.len(), 6);
    assert!(assigns
        .windows(2)
        .all(|w| std::ptr::eq(w[0].green(), w[1].green())));
    let names: Vec<_> = tokens
        .iter()
        .filter(|t| t.kind() == rnix::SyntaxKind::TOKEN_IDENT)
        .map(|t| t.text().to_string())
        .collect();
    assert_eq!(names, ["a", "bb", "c", "dd", "e", "f"]);
    // A string of three tokens is shared whole, long as its text is.
    let contents: Vec<_> = tokens
        .iter()
        .filter(|t| t.kind() == rnix::SyntaxKind::TOKEN_STRING_CONTENT)
        .collect();
    assert_eq!(contents.len(), 2);
    assert!(std::ptr::eq(contents[0].green(), contents[1].green()));
}

#[test]
fn long_tokens_outside_small_nodes_are_made_apiece() {
    let gap = " ".repeat(12);
    let source = format!("[ 1{gap}2{gap}3 ]");
    let root = rnix::SyntaxNode::new_root(parse_green(&source).expect("parses"));
    assert_eq!(root.to_string(), source);
    let gaps: Vec<_> = root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.text() == gap)
        .collect();
    assert_eq!(gaps.len(), 2);
    assert!(!std::ptr::eq(gaps[0].green(), gaps[1].green()));
}
