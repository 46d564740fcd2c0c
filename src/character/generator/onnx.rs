//! A minimal ONNX `ModelProto` writer: just the messages and fields the character stylizer
//! graphs use, encoded by hand (varints and length-delimited fields, no protobuf crate).
//!
//! In: a [`Model`] built in memory by [`super::graph`]. Out: the protobuf bytes of the model, the
//! same bytes the `onnx` Python package writes for the same model (fields in field-number order,
//! proto2 semantics: a field that is set is written even when it holds its default, repeated
//! scalars unpacked, tensors as `raw_data`). Pure data, any thread.
//!
//! Field numbers are those of `onnx/onnx.proto` (IR version 8).

/// `TensorProto.DataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    Float = 1,
    Int64 = 7,
}

/// A constant tensor (an initializer).
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<i64>,
    pub data_type: DataType,
    /// Little-endian element bytes (`raw_data`).
    pub raw: Vec<u8>,
}

impl Tensor {
    pub fn f32(name: String, dims: Vec<i64>, values: &[f32]) -> Self {
        Self { name, dims, data_type: DataType::Float, raw: values.iter().flat_map(|v| v.to_le_bytes()).collect() }
    }

    pub fn i64(name: String, dims: Vec<i64>, values: &[i64]) -> Self {
        Self { name, dims, data_type: DataType::Int64, raw: values.iter().flat_map(|v| v.to_le_bytes()).collect() }
    }
}

/// A node attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Float(f32),
    Int(i64),
    String(String),
    Floats(Vec<f32>),
    Ints(Vec<i64>),
}

/// `AttributeProto`: a name and a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub value: AttrValue,
}

/// `NodeProto` (default domain, no name: like `onnx.helper.make_node` without them).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub op_type: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// Written in this order (`make_node` sorts them by name).
    pub attributes: Vec<Attribute>,
}

/// One dimension of a declared shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    Value(i64),
    Param(String),
}

/// `ValueInfoProto` of a tensor: name, element type, shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueInfo {
    pub name: String,
    pub elem_type: DataType,
    pub shape: Vec<Dim>,
}

/// `GraphProto`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    pub name: String,
    pub nodes: Vec<Node>,
    pub initializers: Vec<Tensor>,
    pub inputs: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
}

/// `ModelProto`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub ir_version: i64,
    pub producer_name: String,
    pub producer_version: String,
    pub doc_string: String,
    pub graph: Graph,
    /// (domain, version) pairs.
    pub opset_import: Vec<(String, i64)>,
    /// `metadata_props`, in this order.
    pub metadata: Vec<(String, String)>,
}

/// Protobuf wire encoding into a byte buffer.
#[derive(Debug, Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn tag(&mut self, field: u32, wire: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire));
    }

    /// An int32/int64/enum field (negative values as ten-byte two's complement, as protobuf does).
    fn int(&mut self, field: u32, v: i64) {
        self.tag(field, 0);
        self.varint(v as u64);
    }

    fn float(&mut self, field: u32, v: f32) {
        self.tag(field, 5);
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.tag(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn string(&mut self, field: u32, s: &str) {
        self.bytes(field, s.as_bytes());
    }

    fn message(&mut self, field: u32, write: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::default();
        write(&mut inner);
        self.bytes(field, &inner.0);
    }
}

impl Model {
    /// The model's protobuf bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.int(1, self.ir_version);
        w.string(2, &self.producer_name);
        w.string(3, &self.producer_version);
        if !self.doc_string.is_empty() {
            w.string(6, &self.doc_string);
        }
        w.message(7, |w| self.graph.write(w));
        for (domain, version) in &self.opset_import {
            w.message(8, |w| {
                w.string(1, domain);
                w.int(2, *version);
            });
        }
        for (key, value) in &self.metadata {
            w.message(14, |w| {
                w.string(1, key);
                w.string(2, value);
            });
        }
        w.0
    }
}

impl Graph {
    fn write(&self, w: &mut Writer) {
        for node in &self.nodes {
            w.message(1, |w| node.write(w));
        }
        w.string(2, &self.name);
        for t in &self.initializers {
            w.message(5, |w| t.write(w));
        }
        for v in &self.inputs {
            w.message(11, |w| v.write(w));
        }
        for v in &self.outputs {
            w.message(12, |w| v.write(w));
        }
    }
}

impl Node {
    fn write(&self, w: &mut Writer) {
        for i in &self.inputs {
            w.string(1, i);
        }
        for o in &self.outputs {
            w.string(2, o);
        }
        w.string(4, &self.op_type);
        for a in &self.attributes {
            w.message(5, |w| a.write(w));
        }
    }
}

impl Attribute {
    fn write(&self, w: &mut Writer) {
        // AttributeProto.AttributeType
        const FLOAT: i64 = 1;
        const INT: i64 = 2;
        const STRING: i64 = 3;
        const FLOATS: i64 = 6;
        const INTS: i64 = 7;
        w.string(1, &self.name);
        let kind = match &self.value {
            AttrValue::Float(f) => {
                w.float(2, *f);
                FLOAT
            }
            AttrValue::Int(i) => {
                w.int(3, *i);
                INT
            }
            AttrValue::String(s) => {
                w.string(4, s);
                STRING
            }
            AttrValue::Floats(fs) => {
                for f in fs {
                    w.float(7, *f);
                }
                FLOATS
            }
            AttrValue::Ints(is) => {
                for i in is {
                    w.int(8, *i);
                }
                INTS
            }
        };
        w.int(20, kind);
    }
}

impl Tensor {
    fn write(&self, w: &mut Writer) {
        for d in &self.dims {
            w.int(1, *d);
        }
        w.int(2, self.data_type as i64);
        w.string(8, &self.name);
        w.bytes(9, &self.raw);
    }
}

impl ValueInfo {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.name);
        // TypeProto { tensor_type: TypeProto.Tensor { elem_type, shape: TensorShapeProto } }
        w.message(2, |w| {
            w.message(1, |w| {
                w.int(1, self.elem_type as i64);
                w.message(2, |w| {
                    for d in &self.shape {
                        w.message(1, |w| match d {
                            Dim::Value(v) => w.int(1, *v),
                            Dim::Param(p) => w.string(2, p),
                        });
                    }
                });
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_negative_ints() {
        let mut w = Writer::default();
        w.varint(300);
        assert_eq!(w.0, [0xac, 0x02]);
        let mut w = Writer::default();
        w.int(1, -1);
        assert_eq!(w.0.len(), 11, "tag + ten bytes");
        assert_eq!(w.0[10], 0x01);
        let mut w = Writer::default();
        w.int(20, 7);
        assert_eq!(w.0, [0xa0, 0x01, 0x07], "field 20 needs a two-byte tag");
    }
}
