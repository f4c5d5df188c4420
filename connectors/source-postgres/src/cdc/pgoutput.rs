//! A decoder for the `pgoutput` logical replication protocol, version 1.
//!
//! Each `XLogData` payload of the replication stream holds one message:
//! Begin, Commit, Origin, Relation, Type, Insert, Update, Delete, Truncate or
//! (with `messages 'true'`) a logical decoding Message. Values in tuples are
//! borrowed from the payload: nothing is copied until a record is written.
//!
//! Reference: <https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html>.

use std::fmt;

/// A malformed or unknown message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pgoutput: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

type Result<T> = std::result::Result<T, DecodeError>;

/// One value of a tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum<'a> {
    /// SQL NULL (`n`).
    Null,
    /// An unchanged TOASTed value (`u`): the server did not send it.
    Unchanged,
    /// A value in text format (`t`), as the type's output function prints it.
    Text(&'a [u8]),
    /// A value in binary format (`b`; only with `binary 'true'`).
    Binary(&'a [u8]),
}

/// The columns of a relation, as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationColumn {
    /// Part of the replica identity (the key).
    pub key: bool,
    /// The column name.
    pub name: String,
    /// The type OID.
    pub type_oid: u32,
    /// The type modifier.
    pub type_modifier: i32,
}

/// A Relation message: sent before the first change of a table in a session,
/// and again after its definition changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The relation OID.
    pub oid: u32,
    /// Its schema.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The replica identity setting: `d` default (primary key), `n` nothing, `f` full, `i` index.
    pub replica_identity: u8,
    /// Its columns, in tuple order.
    pub columns: Vec<RelationColumn>,
}

/// Which old tuple an Update or a Delete carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OldKind {
    /// `K`: only the replica identity (key) columns; the others are null.
    Key,
    /// `O`: the whole old row (REPLICA IDENTITY FULL).
    Full,
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// The start of a transaction.
    Begin {
        /// The LSN of its commit record.
        final_lsn: u64,
        /// Its commit time, in microseconds since 2000-01-01 UTC.
        commit_time: i64,
        /// Its transaction id.
        xid: u32,
    },
    /// The end of a transaction.
    Commit {
        /// The LSN of the commit record.
        commit_lsn: u64,
        /// The LSN just past the commit record: where the next transaction may start.
        end_lsn: u64,
        /// Its commit time, in microseconds since 2000-01-01 UTC.
        commit_time: i64,
    },
    /// The origin of a transaction replicated from elsewhere.
    Origin {
        /// The commit LSN on the origin server.
        lsn: u64,
        /// The origin's name.
        name: String,
    },
    /// A table's description.
    Relation(Relation),
    /// A data type's name (for types that are not built in).
    Type {
        /// The type OID.
        oid: u32,
        /// Its schema.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// A new row.
    Insert {
        /// The relation OID.
        relation: u32,
        /// The row.
        new: Vec<Datum<'a>>,
    },
    /// A changed row.
    Update {
        /// The relation OID.
        relation: u32,
        /// The old key (when it changed) or the old row (REPLICA IDENTITY FULL).
        old: Option<(OldKind, Vec<Datum<'a>>)>,
        /// The new row; TOASTed values that did not change are [`Datum::Unchanged`].
        new: Vec<Datum<'a>>,
    },
    /// A deleted row.
    Delete {
        /// The relation OID.
        relation: u32,
        /// Which old tuple this is.
        kind: OldKind,
        /// The old key or row.
        old: Vec<Datum<'a>>,
    },
    /// Tables truncated.
    Truncate {
        /// `1` CASCADE, `2` RESTART IDENTITY.
        options: u8,
        /// The relation OIDs.
        relations: Vec<u32>,
    },
    /// A logical decoding message (`pg_logical_emit_message`).
    Logical {
        /// Whether it was emitted inside a transaction.
        transactional: bool,
        /// Its LSN.
        lsn: u64,
        /// Its prefix.
        prefix: String,
        /// Its content.
        content: &'a [u8],
    },
}

/// Reads big-endian fields from a payload.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| {
            DecodeError(format!(
                "message truncated at byte {} (needs {n} more)",
                self.pos
            ))
        })?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    fn i64(&mut self) -> Result<i64> {
        Ok(self.u64()? as i64)
    }

    /// A NUL-terminated string.
    fn string(&mut self) -> Result<String> {
        let rest = &self.data[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| DecodeError("unterminated string".into()))?;
        let text = String::from_utf8_lossy(&rest[..len]).into_owned();
        self.pos += len + 1;
        Ok(text)
    }

    fn tuple(&mut self) -> Result<Vec<Datum<'a>>> {
        let count = self.u16()? as usize;
        let mut values = Vec::with_capacity(count);
        for _ in 0..count {
            let datum = match self.u8()? {
                b'n' => Datum::Null,
                b'u' => Datum::Unchanged,
                b't' => {
                    let len = self.u32()? as usize;
                    Datum::Text(self.take(len)?)
                }
                b'b' => {
                    let len = self.u32()? as usize;
                    Datum::Binary(self.take(len)?)
                }
                other => {
                    return Err(DecodeError(format!(
                        "unknown tuple value kind {:?}",
                        other as char
                    )));
                }
            };
            values.push(datum);
        }
        Ok(values)
    }

    fn old_kind(tag: u8) -> Option<OldKind> {
        match tag {
            b'K' => Some(OldKind::Key),
            b'O' => Some(OldKind::Full),
            _ => None,
        }
    }

    fn expect(&mut self, tag: u8, what: &str) -> Result<()> {
        match self.u8()? {
            t if t == tag => Ok(()),
            t => Err(DecodeError(format!(
                "{what}: expected {:?}, got {:?}",
                tag as char, t as char
            ))),
        }
    }
}

/// Decodes one pgoutput message (protocol version 1).
pub fn decode(data: &[u8]) -> Result<Message<'_>> {
    let mut r = Reader { data, pos: 1 };
    let tag = *data
        .first()
        .ok_or_else(|| DecodeError("empty message".into()))?;
    let message = match tag {
        b'B' => Message::Begin {
            final_lsn: r.u64()?,
            commit_time: r.i64()?,
            xid: r.u32()?,
        },
        b'C' => {
            let _flags = r.u8()?;
            Message::Commit {
                commit_lsn: r.u64()?,
                end_lsn: r.u64()?,
                commit_time: r.i64()?,
            }
        }
        b'O' => Message::Origin {
            lsn: r.u64()?,
            name: r.string()?,
        },
        b'R' => {
            let oid = r.u32()?;
            let namespace = r.string()?;
            let name = r.string()?;
            let replica_identity = r.u8()?;
            let count = r.u16()? as usize;
            let mut columns = Vec::with_capacity(count);
            for _ in 0..count {
                let flags = r.u8()?;
                columns.push(RelationColumn {
                    key: flags & 1 == 1,
                    name: r.string()?,
                    type_oid: r.u32()?,
                    type_modifier: r.u32()? as i32,
                });
            }
            Message::Relation(Relation {
                oid,
                namespace,
                name,
                replica_identity,
                columns,
            })
        }
        b'Y' => Message::Type {
            oid: r.u32()?,
            namespace: r.string()?,
            name: r.string()?,
        },
        b'I' => {
            let relation = r.u32()?;
            r.expect(b'N', "Insert")?;
            Message::Insert {
                relation,
                new: r.tuple()?,
            }
        }
        b'U' => {
            let relation = r.u32()?;
            let mut tag = r.u8()?;
            let mut old = None;
            if let Some(kind) = Reader::old_kind(tag) {
                old = Some((kind, r.tuple()?));
                tag = r.u8()?;
            }
            if tag != b'N' {
                return Err(DecodeError(format!(
                    "Update: expected 'N', got {:?}",
                    tag as char
                )));
            }
            Message::Update {
                relation,
                old,
                new: r.tuple()?,
            }
        }
        b'D' => {
            let relation = r.u32()?;
            let tag = r.u8()?;
            let kind = Reader::old_kind(tag).ok_or_else(|| {
                DecodeError(format!(
                    "Delete: expected 'K' or 'O', got {:?}",
                    tag as char
                ))
            })?;
            Message::Delete {
                relation,
                kind,
                old: r.tuple()?,
            }
        }
        b'T' => {
            let count = r.u32()? as usize;
            let options = r.u8()?;
            let relations = (0..count).map(|_| r.u32()).collect::<Result<Vec<_>>>()?;
            Message::Truncate { options, relations }
        }
        b'M' => {
            let flags = r.u8()?;
            let lsn = r.u64()?;
            let prefix = r.string()?;
            let len = r.u32()? as usize;
            Message::Logical {
                transactional: flags & 1 == 1,
                lsn,
                prefix,
                content: r.take(len)?,
            }
        }
        other => {
            return Err(DecodeError(format!(
                "unknown message type {:?}",
                other as char
            )));
        }
    };
    Ok(message)
}

#[cfg(test)]
#[path = "pgoutput_tests.rs"]
pub(crate) mod tests;
