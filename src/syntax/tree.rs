//! Building rowan green trees directly.
//!
//! rowan's `GreenNodeBuilder` looks every small node and token up in a
//! hash table to share equal ones, which costs more than the parse itself
//! on large inputs; this builder makes each node once, from its children.

use rnix::SyntaxKind;
use rowan::{GreenNode, GreenToken, NodeOrToken};

type Element = NodeOrToken<GreenNode, GreenToken>;

/// Where a node may later be started that takes in what was added since
/// (`TreeBuilder::start_node_at`).
pub type Checkpoint = usize;

#[derive(Default)]
pub struct TreeBuilder {
    /// The children of the nodes being built, innermost last.
    children: Vec<Element>,
    /// The nodes being built: kind and index of their first child.
    open: Vec<(SyntaxKind, usize)>,
}

fn raw(kind: SyntaxKind) -> rowan::SyntaxKind {
    rowan::SyntaxKind(kind as u16)
}

impl TreeBuilder {
    pub fn token(&mut self, kind: SyntaxKind, text: &str) {
        self.children
            .push(NodeOrToken::Token(GreenToken::new(raw(kind), text)));
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
        let node = GreenNode::new(raw(kind), self.children.drain(first..));
        self.children.push(NodeOrToken::Node(node));
    }

    /// The root, once every node is finished.
    pub fn finish(mut self) -> GreenNode {
        debug_assert!(self.open.is_empty() && self.children.len() == 1);
        match self.children.pop() {
            Some(NodeOrToken::Node(node)) => node,
            _ => unreachable!("the root is a node"),
        }
    }
}
