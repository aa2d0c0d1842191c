//! Reading names and constants out of parse-tree nodes.

use pg_query::protobuf::{self as pb, a_const, Node};
use pg_query::NodeEnum;

/// The `String` values of a name list (`funcname`, `defnames`, `TypeName.names`).
pub fn strings(nodes: &[Node]) -> Vec<&str> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect()
}

/// A name list joined with dots, as pgspot prints object names.
pub fn dotted(nodes: &[Node]) -> String {
    strings(nodes).join(".")
}

/// The schema of a two-part name list, if any.
pub fn schema_of(nodes: &[Node]) -> Option<&str> {
    let s = strings(nodes);
    (s.len() >= 2).then(|| s[s.len() - 2])
}

/// The text of a string constant node (`'abc'`, or a bare identifier in DefElem args).
pub fn const_string(node: &Node) -> Option<&str> {
    match &node.node {
        Some(NodeEnum::AConst(c)) => match &c.val {
            Some(a_const::Val::Sval(s)) => Some(s.sval.as_str()),
            _ => None,
        },
        Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
        Some(NodeEnum::TypeCast(tc)) => tc.arg.as_deref().and_then(const_string),
        _ => None,
    }
}

/// A constant's value as text, whatever its type (`5`, `true`, `'x'`).
pub fn const_text(node: &Node) -> Option<String> {
    match &node.node {
        Some(NodeEnum::AConst(c)) => match &c.val {
            Some(a_const::Val::Sval(s)) => Some(s.sval.clone()),
            Some(a_const::Val::Ival(i)) => Some(i.ival.to_string()),
            Some(a_const::Val::Fval(f)) => Some(f.fval.clone()),
            Some(a_const::Val::Boolval(b)) => Some(if b.boolval { "true" } else { "false" }.into()),
            Some(a_const::Val::Bsval(b)) => Some(b.bsval.clone()),
            None => None,
        },
        Some(NodeEnum::String(s)) => Some(s.sval.clone()),
        Some(NodeEnum::Integer(i)) => Some(i.ival.to_string()),
        Some(NodeEnum::Boolean(b)) => Some(if b.boolval { "true" } else { "false" }.into()),
        Some(NodeEnum::TypeCast(tc)) => tc.arg.as_deref().and_then(const_text),
        _ => None,
    }
}

/// Location of a node, where the node kind carries one.
pub fn location(node: &Node) -> Option<usize> {
    let loc = match node.node.as_ref()? {
        NodeEnum::AConst(x) => x.location,
        NodeEnum::ColumnRef(x) => x.location,
        NodeEnum::FuncCall(x) => x.location,
        NodeEnum::AExpr(x) => x.location,
        NodeEnum::TypeCast(x) => x.location,
        NodeEnum::RangeVar(x) => x.location,
        NodeEnum::ParamRef(x) => x.location,
        NodeEnum::DefElem(x) => x.location,
        NodeEnum::TypeName(x) => x.location,
        NodeEnum::CaseExpr(x) => x.location,
        NodeEnum::BoolExpr(x) => x.location,
        NodeEnum::SubLink(x) => x.location,
        NodeEnum::AArrayExpr(x) => x.location,
        NodeEnum::RowExpr(x) => x.location,
        NodeEnum::CoalesceExpr(x) => x.location,
        NodeEnum::NullTest(x) => x.location,
        NodeEnum::ResTarget(x) => x.location,
        _ => -1,
    };
    (loc >= 0).then_some(loc as usize)
}

/// Options of a CREATE FUNCTION / DO / ALTER FUNCTION as DefElems.
pub fn def_elems(nodes: &[Node]) -> impl Iterator<Item = &pb::DefElem> {
    nodes.iter().filter_map(|n| match &n.node {
        Some(NodeEnum::DefElem(d)) => Some(d.as_ref()),
        _ => None,
    })
}

/// The DefElem named `name`, if present.
pub fn def_elem<'a>(nodes: &'a [Node], name: &str) -> Option<&'a pb::DefElem> {
    def_elems(nodes).find(|d| d.defname == name)
}

/// A DefElem's argument as text (string, identifier, number or boolean).
pub fn def_arg_text(d: &pb::DefElem) -> Option<String> {
    let arg = d.arg.as_deref()?;
    if let Some(t) = const_text(arg) {
        return Some(t);
    }
    match &arg.node {
        Some(NodeEnum::TypeName(t)) => Some(dotted(&t.names)),
        Some(NodeEnum::List(l)) => Some(strings(&l.items).join(".")),
        _ => None,
    }
}

/// The string items of a DefElem whose argument is a list (`AS 'obj', 'sym'`).
pub fn def_arg_strings(d: &pb::DefElem) -> Vec<&str> {
    match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::List(l)) => strings(&l.items),
        Some(NodeEnum::String(s)) => vec![s.sval.as_str()],
        _ => Vec::new(),
    }
}
