//! Tests of the pgoutput decoder, and a payload builder for other tests.

use super::*;

/// Builds pgoutput payloads for tests.
#[derive(Default)]
pub(crate) struct Builder(pub(crate) Vec<u8>);

impl Builder {
    pub(crate) fn tag(mut self, t: u8) -> Self {
        self.0.push(t);
        self
    }
    pub(crate) fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn string(mut self, s: &str) -> Self {
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
        self
    }
    /// A tuple: `None` null, `Some(None)` unchanged TOAST, `Some(Some(text))`.
    pub(crate) fn tuple(mut self, values: &[Option<Option<&str>>]) -> Self {
        self = self.u16(values.len() as u16);
        for v in values {
            match v {
                None => self.0.push(b'n'),
                Some(None) => self.0.push(b'u'),
                Some(Some(text)) => {
                    self.0.push(b't');
                    self = self.u32(text.len() as u32);
                    self.0.extend_from_slice(text.as_bytes());
                }
            }
        }
        self
    }
}

#[test]
fn begin_commit_origin_type() {
    let b = Builder::default().tag(b'B').u64(0x16C9A38).u64(42).u32(7);
    assert_eq!(
        decode(&b.0),
        Ok(Message::Begin {
            final_lsn: 0x16C9A38,
            commit_time: 42,
            xid: 7
        })
    );
    let c = Builder::default().tag(b'C').tag(0).u64(10).u64(20).u64(30);
    assert_eq!(
        decode(&c.0),
        Ok(Message::Commit {
            commit_lsn: 10,
            end_lsn: 20,
            commit_time: 30
        })
    );
    let o = Builder::default().tag(b'O').u64(5).string("elsewhere");
    assert_eq!(
        decode(&o.0),
        Ok(Message::Origin {
            lsn: 5,
            name: "elsewhere".into()
        })
    );
    let y = Builder::default()
        .tag(b'Y')
        .u32(16400)
        .string("public")
        .string("mood");
    assert_eq!(
        decode(&y.0),
        Ok(Message::Type {
            oid: 16400,
            namespace: "public".into(),
            name: "mood".into()
        })
    );
}

#[test]
fn relation() {
    let r = Builder::default()
        .tag(b'R')
        .u32(16384)
        .string("public")
        .string("t")
        .tag(b'd')
        .u16(2);
    let r = r
        .tag(1)
        .string("id")
        .u32(23)
        .u32(u32::MAX)
        .tag(0)
        .string("v")
        .u32(25)
        .u32(u32::MAX);
    let Ok(Message::Relation(rel)) = decode(&r.0) else {
        panic!("not a relation")
    };
    assert_eq!(
        (
            rel.oid,
            rel.namespace.as_str(),
            rel.name.as_str(),
            rel.replica_identity
        ),
        (16384, "public", "t", b'd')
    );
    assert_eq!(rel.columns.len(), 2);
    assert!(rel.columns[0].key && !rel.columns[1].key);
    assert_eq!(
        (
            rel.columns[1].name.as_str(),
            rel.columns[1].type_oid,
            rel.columns[1].type_modifier
        ),
        ("v", 25, -1)
    );
}

#[test]
fn insert_update_delete_truncate() {
    let i = Builder::default().tag(b'I').u32(1).tag(b'N').tuple(&[
        Some(Some("1")),
        None,
        Some(Some("")),
    ]);
    assert_eq!(
        decode(&i.0),
        Ok(Message::Insert {
            relation: 1,
            new: vec![Datum::Text(b"1"), Datum::Null, Datum::Text(b"")]
        })
    );

    let u = Builder::default()
        .tag(b'U')
        .u32(1)
        .tag(b'N')
        .tuple(&[Some(Some("1")), Some(None)]);
    assert_eq!(
        decode(&u.0),
        Ok(Message::Update {
            relation: 1,
            old: None,
            new: vec![Datum::Text(b"1"), Datum::Unchanged]
        })
    );

    let u = Builder::default()
        .tag(b'U')
        .u32(1)
        .tag(b'K')
        .tuple(&[Some(Some("1")), None])
        .tag(b'N')
        .tuple(&[Some(Some("2")), Some(Some("x"))]);
    assert_eq!(
        decode(&u.0),
        Ok(Message::Update {
            relation: 1,
            old: Some((OldKind::Key, vec![Datum::Text(b"1"), Datum::Null])),
            new: vec![Datum::Text(b"2"), Datum::Text(b"x")]
        })
    );

    let d = Builder::default()
        .tag(b'D')
        .u32(1)
        .tag(b'O')
        .tuple(&[Some(Some("1")), Some(Some("x"))]);
    assert_eq!(
        decode(&d.0),
        Ok(Message::Delete {
            relation: 1,
            kind: OldKind::Full,
            old: vec![Datum::Text(b"1"), Datum::Text(b"x")]
        })
    );

    let t = Builder::default().tag(b'T').u32(2).tag(1).u32(10).u32(11);
    assert_eq!(
        decode(&t.0),
        Ok(Message::Truncate {
            options: 1,
            relations: vec![10, 11]
        })
    );
}

#[test]
fn message() {
    let mut m = Builder::default()
        .tag(b'M')
        .tag(0)
        .u64(99)
        .string("airbyte")
        .u32(3);
    m.0.extend_from_slice(b"abc");
    assert_eq!(
        decode(&m.0),
        Ok(Message::Logical {
            transactional: false,
            lsn: 99,
            prefix: "airbyte".into(),
            content: b"abc"
        })
    );
}

#[test]
fn malformed() {
    assert!(decode(b"").is_err());
    assert!(decode(b"Z").is_err());
    assert!(
        decode(&Builder::default().tag(b'B').u64(1).0).is_err(),
        "truncated"
    );
    let bad = Builder::default()
        .tag(b'I')
        .u32(1)
        .tag(b'N')
        .u16(1)
        .tag(b't')
        .u32(100);
    assert!(decode(&bad.0).is_err(), "a length past the end");
    let bad = Builder::default()
        .tag(b'I')
        .u32(1)
        .tag(b'N')
        .u16(1)
        .tag(b'x');
    assert!(decode(&bad.0).is_err(), "unknown value kind");
    assert!(decode(&Builder::default().tag(b'D').u32(1).tag(b'N').0).is_err());
}
