//! Building rowan green trees directly.
//!
//! rowan's `GreenNodeBuilder` looks every small node and token up in a
//! hash table to share equal ones, which costs more than the parse itself
//! on large inputs; this builder makes each node once, from its children,
//! and shares only what costs nothing to find: a short token equal to the
//! last one made of its kind and length (`=`, `;`, `+`, a space, `1`),
//! and a node of a few tokens equal to the last one of its kind (the
//! literal `1`, `[ ]`, `{ }`). Green trees are immutable and may share
//! subtrees anywhere (rowan's own cache does the same), so the tree reads
//! exactly as if unshared; a long chain or set then costs about half the
//! memory, most of it pages the kernel would otherwise zero first.

use rnix::SyntaxKind;
use rowan::{GreenNode, GreenToken, NodeOrToken};

type Element = NodeOrToken<GreenNode, GreenToken>;

/// Where a node may later be started that takes in what was added since
/// (`TreeBuilder::start_node_at`).
pub type Checkpoint = usize;

/// How many kinds there are (rnix's last kind is `NODE_WITH`).
const KINDS: usize = SyntaxKind::NODE_WITH as usize + 1;

/// Tokens up to this many bytes long are shared.
const SHORT: usize = 8;

/// Nodes of up to this many children, all tokens, are shared.
const LEAF: usize = 4;

/// The most children reserved for at the start (see `TreeBuilder::new`).
const RESERVED: usize = 1 << 23;

pub struct TreeBuilder {
    /// The children of the nodes being built, innermost last.
    children: Vec<Element>,
    /// The nodes being built: kind and index of their first child.
    open: Vec<(SyntaxKind, usize)>,
    /// The last short token made of each kind and length, at
    /// `kind * SHORT + length - 1`.
    tokens: Vec<Option<GreenToken>>,
    /// The last node of a few tokens made of each kind.
    leaves: Vec<Option<GreenNode>>,
}

fn raw(kind: SyntaxKind) -> rowan::SyntaxKind {
    rowan::SyntaxKind(kind as u16)
}

/// Whether `node`'s children are the tokens `children`.
fn has_tokens(node: &GreenNode, children: &[Element]) -> bool {
    node.children().len() == children.len()
        && node
            .children()
            .zip(children)
            .all(|(mine, theirs)| match (mine, theirs) {
                (NodeOrToken::Token(mine), NodeOrToken::Token(theirs)) => *mine == **theirs,
                _ => false,
            })
}

impl TreeBuilder {
    /// A builder for a source of `len` bytes. Waiting children are at most
    /// about one per byte (`[] ++ [] ++ …` keeps all of its operators open
    /// to the end); reserving that much up front costs address space only,
    /// where growing by doubling would copy them into fresh memory each
    /// time. The reservation stops at `RESERVED` children (128 MiB of
    /// address space); past that, the vector grows as usual.
    pub fn new(len: usize) -> TreeBuilder {
        TreeBuilder {
            children: Vec::with_capacity(len.min(RESERVED)),
            open: Vec::new(),
            tokens: vec![None; KINDS * SHORT],
            leaves: vec![None; KINDS],
        }
    }

    pub fn token(&mut self, kind: SyntaxKind, text: &str) {
        let token = match text.len() {
            len @ 1..=SHORT => {
                let slot = &mut self.tokens[kind as usize * SHORT + len - 1];
                match slot {
                    Some(last) if last.text() == text => last.clone(),
                    _ => slot.insert(GreenToken::new(raw(kind), text)).clone(),
                }
            }
            _ => GreenToken::new(raw(kind), text),
        };
        self.children.push(NodeOrToken::Token(token));
    }

    pub fn start_node(&mut self, kind: SyntaxKind) {
        self.open.push((kind, self.children.len()));
    }

    pub fn checkpoint(&self) -> Checkpoint {
        self.children.len()
    }

    /// Starts a node whose first child is what was added at `checkpoint`.
    pub fn start_node_at(&mut self, checkpoint: Checkpoint, kind: SyntaxKind) {
        debug_assert!(checkpoint <= self.children.len());
        debug_assert!(self
            .open
            .last()
            .is_none_or(|&(_, first)| first <= checkpoint));
        self.open.push((kind, checkpoint));
    }

    pub fn finish_node(&mut self) {
        let (kind, first) = self.open.pop().expect("a node is open");
        let children = &self.children[first..];
        let node = if children.len() <= LEAF && children.iter().all(|c| c.as_token().is_some()) {
            let slot = &mut self.leaves[kind as usize];
            match slot {
                Some(last) if has_tokens(last, children) => last.clone(),
                _ => slot
                    .insert(GreenNode::new(raw(kind), children.iter().cloned()))
                    .clone(),
            }
        } else {
            GreenNode::new(raw(kind), self.children.drain(first..))
        };
        self.children.truncate(first);
        self.children.push(NodeOrToken::Node(node));
    }

    /// The root, once every node is finished.
    pub fn finish(&mut self) -> GreenNode {
        debug_assert!(self.open.is_empty() && self.children.len() == 1);
        match self.children.pop() {
            Some(NodeOrToken::Node(node)) => node,
            _ => unreachable!("the root is a node"),
        }
    }
}
