//! The parse tree of a PL/pgSQL body, in the shape libpg_query's JSON
//! output gives it: objects `{"PLpgSQL_<node>": {fields}}`, with its field
//! names, and fields left out when zero, false or NULL. The tree is read
//! from libpg_query's C structs (`from_c::plpgsql`), never from JSON text.
//!
//! An object is a vector of pairs in libpg_query's field order, its keys
//! static strings: the objects are small, and lookups compare their few keys.

/// How deeply arrays and objects may nest, counted as in libpg_query's JSON
/// document of the tree (the outer array is level 1). The walk over the tree
/// recurses once per level, so this bounds its stack; deeper trees are
/// reported as too deep to analyse.
pub const MAX_DEPTH: usize = 127;

/// An object key: one of libpg_query's field names.
pub type Key = &'static str;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(Box<str>),
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>),
}

impl Json {
    /// The value of `key` in an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(pairs) => pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(pairs) => pairs.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().and_then(|i| u64::try_from(i).ok())
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The pairs of an object, in document order.
    pub fn as_object(&self) -> Option<&[(Key, Json)]> {
        match self {
            Json::Object(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The value, leaving `Null` in its place.
    pub fn take(&mut self) -> Json {
        std::mem::replace(self, Json::Null)
    }
}
