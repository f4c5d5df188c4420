//! Decoded changes → RECORD messages of the configured streams.
//!
//! - Columns are matched by name to the stream's selected columns; others
//!   (not selected, or added after discover) are left out.
//! - Every record gets `_ab_cdc_lsn` (the LSN of the change's WAL record),
//!   `_ab_cdc_updated_at` (the commit time) and `_ab_cdc_deleted_at` (the
//!   commit time for deletes, else null).
//! - A delete's data is the old row: with REPLICA IDENTITY DEFAULT (or USING
//!   INDEX) only the key columns, the others are absent; with FULL, every column.
//! - An unchanged TOASTed value (which the server does not send) is taken from
//!   the old row when the server sent it (REPLICA IDENTITY FULL); otherwise the
//!   column is **absent** from the record, never null.
//! - An update that changes the primary key emits a delete of the old key,
//!   then the new row.

use std::collections::HashMap;

use airbyte_sdk::Error;
use airbyte_sdk::protocol::columns;
use airbyte_sdk::source::StreamOutput;

use super::pgoutput::{Datum, Message, OldKind, Relation};
use crate::row::write_plain_value;
use crate::types::Kind;

/// A configured CDC stream, as the change decoder needs it.
pub struct ChangeStream {
    /// Its index among the outputs given to [`Changes::apply`].
    pub output: usize,
    /// Its schema.
    pub namespace: String,
    /// Its table name.
    pub name: String,
    /// The selected columns and their kinds.
    pub columns: Vec<(String, Kind)>,
    /// The primary key columns.
    pub primary_key: Vec<String>,
}

/// A column of a relation that belongs to a stream.
struct Target {
    /// The JSON key with its colon.
    key: Vec<u8>,
    kind: Kind,
    primary_key: bool,
}

/// A relation as the server described it, mapped onto a stream.
struct Mapped {
    stream: usize,
    /// Per column of the relation's tuples: where it goes, if selected.
    columns: Vec<Option<Target>>,
    /// Per column: part of the replica identity.
    identity: Vec<bool>,
    name: String,
}

/// Turns decoded changes into records.
pub struct Changes {
    streams: Vec<ChangeStream>,
    relations: HashMap<u32, Option<Mapped>>,
}

/// What a record is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Upsert,
    Delete,
}

impl Changes {
    /// A decoder for `streams`.
    pub fn new(streams: Vec<ChangeStream>) -> Self {
        Changes {
            streams,
            relations: HashMap::new(),
        }
    }

    /// Learns (or relearns, after a schema change) a relation.
    pub fn relation(&mut self, r: Relation) {
        let stream = self
            .streams
            .iter()
            .position(|s| s.namespace == r.namespace && s.name == r.name);
        let mapped = stream.map(|index| {
            let s = &self.streams[index];
            let columns = r
                .columns
                .iter()
                .map(|c| {
                    s.columns
                        .iter()
                        .find(|(name, _)| *name == c.name)
                        .map(|(name, kind)| {
                            let mut key = serde_json::to_vec(name).unwrap_or_default();
                            key.push(b':');
                            Target {
                                key,
                                kind: kind.clone(),
                                primary_key: s.primary_key.contains(name),
                            }
                        })
                })
                .collect();
            Mapped {
                stream: s.output,
                columns,
                identity: r.columns.iter().map(|c| c.key).collect(),
                name: format!("{}.{}", r.namespace, r.name),
            }
        });
        self.relations.insert(r.oid, mapped);
    }

    /// Emits the records of one Insert, Update or Delete (other messages emit
    /// nothing); returns how many were emitted.
    pub fn apply(
        &self,
        message: &Message<'_>,
        lsn: u64,
        commit_time: &str,
        outs: &mut [StreamOutput],
    ) -> Result<u64, Error> {
        let relation = match message {
            Message::Insert { relation, .. }
            | Message::Update { relation, .. }
            | Message::Delete { relation, .. } => *relation,
            _ => return Ok(0),
        };
        let mapped = match self.relations.get(&relation) {
            Some(Some(mapped)) => mapped,
            Some(None) => return Ok(0), // a table of the publication that is not synced
            None => {
                return Err(Error::system(format!(
                    "pgoutput: a change of relation {relation} came before its Relation message"
                )));
            }
        };
        let out = outs
            .get_mut(mapped.stream)
            .ok_or_else(|| Error::system("pgoutput: a change maps to no stream output"))?;
        let meta = Meta { lsn, commit_time };
        match message {
            Message::Insert { new, .. } => {
                write(out, mapped, new, None, false, Op::Upsert, &meta)?;
                Ok(1)
            }
            Message::Update { old, new, .. } => {
                let mut emitted = 0;
                let full_old = match old {
                    Some((OldKind::Full, old)) => Some(old.as_slice()),
                    _ => None,
                };
                let key_changed = match old {
                    Some((kind, old)) => mapped.key_changed(*kind, old, new),
                    None => false,
                };
                if let (true, Some((kind, old))) = (key_changed, old) {
                    write(
                        out,
                        mapped,
                        old,
                        None,
                        *kind == OldKind::Key,
                        Op::Delete,
                        &meta,
                    )?;
                    emitted += 1;
                }
                write(out, mapped, new, full_old, false, Op::Upsert, &meta)?;
                Ok(emitted + 1)
            }
            Message::Delete { kind, old, .. } => {
                write(
                    out,
                    mapped,
                    old,
                    None,
                    *kind == OldKind::Key,
                    Op::Delete,
                    &meta,
                )?;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

impl Mapped {
    /// Whether an update changed the primary key. The server also sends the
    /// old key when it is TOASTed, or (FULL) always: compare the values. When
    /// the old key tuple does not hold every primary key column (a replica
    /// identity on another index), it cannot tell: no.
    fn key_changed(&self, kind: OldKind, old: &[Datum<'_>], new: &[Datum<'_>]) -> bool {
        let mut changed = false;
        for (i, column) in self.columns.iter().enumerate() {
            if !column.as_ref().is_some_and(|c| c.primary_key) {
                continue;
            }
            if kind == OldKind::Key && !self.identity.get(i).copied().unwrap_or(false) {
                return false;
            }
            match new.get(i) {
                None | Some(Datum::Unchanged) => {}
                Some(value) => changed |= old.get(i) != Some(value),
            }
        }
        changed
    }
}

struct Meta<'a> {
    lsn: u64,
    commit_time: &'a str,
}

/// Emits one record (see [`write_data`]).
fn write(
    out: &mut StreamOutput,
    mapped: &Mapped,
    values: &[Datum<'_>],
    fallback: Option<&[Datum<'_>]>,
    identity_only: bool,
    op: Op,
    meta: &Meta<'_>,
) -> Result<(), Error> {
    let mut bad = Ok(());
    out.record_with(|buf| {
        bad = write_data(buf, mapped, values, fallback, identity_only, op, meta);
        Ok(())
    })?;
    bad.map_err(|e| Error::system(format!("{}: {e}", mapped.name)))
}

/// Writes the data of one record: `values` (with unchanged TOAST values taken
/// from `fallback`), only the identity columns when `identity_only`.
fn write_data(
    buf: &mut Vec<u8>,
    mapped: &Mapped,
    values: &[Datum<'_>],
    fallback: Option<&[Datum<'_>]>,
    identity_only: bool,
    op: Op,
    meta: &Meta<'_>,
) -> Result<(), String> {
    let mut bad = Ok(());
    buf.push(b'{');
    for (i, target) in mapped.columns.iter().enumerate() {
        let Some(target) = target else { continue };
        if identity_only && !mapped.identity.get(i).copied().unwrap_or(false) {
            continue;
        }
        let mut datum = values.get(i).copied().unwrap_or(Datum::Unchanged);
        if datum == Datum::Unchanged
            && let Some(old) = fallback.and_then(|f| f.get(i))
        {
            datum = *old;
        }
        match datum {
            Datum::Unchanged => continue,
            Datum::Null => {
                buf.extend_from_slice(&target.key);
                buf.extend_from_slice(b"null,");
            }
            Datum::Text(text) => {
                buf.extend_from_slice(&target.key);
                write_plain_value(&target.kind, text, buf);
                buf.push(b',');
            }
            Datum::Binary(_) => {
                bad = Err("a value came in binary format".to_owned());
                buf.extend_from_slice(&target.key);
                buf.extend_from_slice(b"null,");
            }
        }
    }
    json_key(buf, columns::CDC_LSN);
    buf.extend_from_slice(meta.lsn.to_string().as_bytes());
    buf.push(b',');
    json_key(buf, columns::CDC_UPDATED_AT);
    buf.push(b'"');
    buf.extend_from_slice(meta.commit_time.as_bytes());
    buf.extend_from_slice(b"\",");
    json_key(buf, columns::CDC_DELETED_AT);
    if op == Op::Delete {
        buf.push(b'"');
        buf.extend_from_slice(meta.commit_time.as_bytes());
        buf.push(b'"');
    } else {
        buf.extend_from_slice(b"null");
    }
    buf.push(b'}');
    bad
}

/// `"name":`, for a name that needs no escaping.
fn json_key(buf: &mut Vec<u8>, name: &str) {
    buf.push(b'"');
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
}

#[cfg(test)]
mod tests {
    use super::super::pgoutput::{RelationColumn, decode, tests::Builder};
    use super::*;

    fn relation() -> Relation {
        let col = |key, name: &str, type_oid| RelationColumn {
            key,
            name: name.into(),
            type_oid,
            type_modifier: -1,
        };
        Relation {
            oid: 7,
            namespace: "public".into(),
            name: "t".into(),
            replica_identity: b'd',
            columns: vec![
                col(true, "id", 23),
                col(false, "body", 25),
                col(false, "n", 1700),
                col(false, "hidden", 25),
            ],
        }
    }

    fn changes() -> Changes {
        let mut c = Changes::new(vec![ChangeStream {
            output: 0,
            namespace: "public".into(),
            name: "t".into(),
            columns: vec![
                ("id".into(), Kind::Integer),
                ("body".into(), Kind::Text),
                ("n".into(), Kind::Numeric),
            ],
            primary_key: vec!["id".into()],
        }]);
        c.relation(relation());
        c
    }

    /// The data of each record `payloads` make, as `Changes::apply` would emit them.
    fn emit(payloads: Vec<Vec<u8>>) -> Vec<serde_json::Value> {
        let c = changes();
        let Some(Some(mapped)) = c.relations.get(&7) else {
            panic!("relation 7 is mapped")
        };
        let meta = Meta {
            lsn: 100,
            commit_time: "2024-01-01T00:00:00.000000Z",
        };
        let mut records = Vec::new();
        let mut one = |values: &[Datum<'_>], fallback, identity_only, op| {
            let mut buf = Vec::new();
            write_data(&mut buf, mapped, values, fallback, identity_only, op, &meta)
                .expect("write");
            records.push(
                serde_json::from_slice(&buf)
                    .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&buf))),
            );
        };
        for p in &payloads {
            match decode(p).expect("decode") {
                Message::Insert { new, .. } => one(&new, None, false, Op::Upsert),
                Message::Update { old, new, .. } => {
                    if let Some((kind, old)) = &old {
                        one(old, None, *kind == OldKind::Key, Op::Delete);
                    }
                    one(&new, None, false, Op::Upsert)
                }
                Message::Delete { kind, old, .. } => {
                    one(&old, None, kind == OldKind::Key, Op::Delete)
                }
                _ => {}
            }
        }
        records
    }

    #[test]
    fn key_changes() {
        let c = changes();
        let Some(Some(mapped)) = c.relations.get(&7) else {
            panic!("relation 7 is mapped")
        };
        let (one, two) = (Datum::Text(b"1"), Datum::Text(b"2"));
        let rest = [Datum::Null, Datum::Null, Datum::Null];
        let row = |id| [id, rest[0], rest[1], rest[2]];
        assert!(mapped.key_changed(OldKind::Key, &row(one), &row(two)));
        assert!(
            !mapped.key_changed(OldKind::Key, &row(one), &row(one)),
            "an old key sent because it is TOASTed"
        );
        assert!(!mapped.key_changed(OldKind::Key, &row(one), &row(Datum::Unchanged)));
        assert!(mapped.key_changed(OldKind::Full, &row(one), &row(two)));
        assert!(!mapped.key_changed(
            OldKind::Full,
            &[one, Datum::Text(b"a"), rest[1], rest[2]],
            &[one, Datum::Text(b"b"), rest[1], rest[2]]
        ));
    }

    #[test]
    fn records() {
        let insert = Builder::default().tag(b'I').u32(7).tag(b'N').tuple(&[
            Some(Some("1")),
            Some(Some("a\\b \"q\"")),
            Some(Some("1.50")),
            Some(Some("x")),
        ]);
        let toast = Builder::default().tag(b'U').u32(7).tag(b'N').tuple(&[
            Some(Some("1")),
            Some(None),
            None,
            Some(None),
        ]);
        let delete = Builder::default().tag(b'D').u32(7).tag(b'K').tuple(&[
            Some(Some("1")),
            None,
            None,
            None,
        ]);
        let rekey = Builder::default()
            .tag(b'U')
            .u32(7)
            .tag(b'K')
            .tuple(&[Some(Some("1")), None, None, None])
            .tag(b'N')
            .tuple(&[Some(Some("2")), Some(Some("b")), None, None]);
        let got = emit(vec![insert.0, toast.0, delete.0, rekey.0]);
        let meta = r#""_ab_cdc_lsn":100,"_ab_cdc_updated_at":"2024-01-01T00:00:00.000000Z""#;
        let expect = |s: &str| -> serde_json::Value { serde_json::from_str(s).expect("json") };
        assert_eq!(
            got[0],
            expect(&format!(
                r#"{{"id":1,"body":"a\\b \"q\"","n":1.50,{meta},"_ab_cdc_deleted_at":null}}"#
            ))
        );
        assert_eq!(
            got[1],
            expect(&format!(
                r#"{{"id":1,"n":null,{meta},"_ab_cdc_deleted_at":null}}"#
            )),
            "unchanged TOAST: absent, not null"
        );
        assert_eq!(
            got[2],
            expect(&format!(
                r#"{{"id":1,{meta},"_ab_cdc_deleted_at":"2024-01-01T00:00:00.000000Z"}}"#
            ))
        );
        assert_eq!(
            got[3],
            expect(&format!(
                r#"{{"id":1,{meta},"_ab_cdc_deleted_at":"2024-01-01T00:00:00.000000Z"}}"#
            )),
            "old key deleted"
        );
        assert_eq!(
            got[4],
            expect(&format!(
                r#"{{"id":2,"body":"b","n":null,{meta},"_ab_cdc_deleted_at":null}}"#
            ))
        );
        assert_eq!(got.len(), 5);
    }
}
