//! Depth-first traversal of pg_query parse trees.
//!
//! The traversal itself is generated (`walk_gen.rs`, from the pinned
//! pg_query's protobuf definitions) so that no field is ever skipped.

use pg_query::protobuf::Node;
use pg_query::{NodeEnum, NodeRef};

pub use super::walk_gen::{walk_enum, walk_node};

/// Callbacks for [`walk_node`]. `enter` returns whether to descend into the
/// node's children; `leave` is called for every entered node.
pub trait Visitor<'a> {
    fn enter(&mut self, node: NodeRef<'a>) -> bool {
        let _ = node;
        true
    }
    fn leave(&mut self, node: NodeRef<'a>) {
        let _ = node;
    }
}

/// Walk every node of a list.
pub fn walk_all<'a, V: Visitor<'a> + ?Sized>(v: &mut V, nodes: &'a [Node]) {
    for n in nodes {
        walk_node(v, n);
    }
}

/// Walk a node given by reference, when it is one of the node kinds.
pub fn walk_ref<'a, V: Visitor<'a> + ?Sized>(v: &mut V, node: &'a Option<Box<Node>>) {
    if let Some(n) = node {
        walk_node(v, n);
    }
}

/// The enum inside a `Node`, if any.
pub fn inner(node: &Node) -> Option<&NodeEnum> {
    node.node.as_ref()
}
