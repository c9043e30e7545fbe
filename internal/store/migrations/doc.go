// Package migrations embeds the schema of the SQL store as append-only,
// numbered files (0001_core.sql, 0002_...). A file is never edited once
// released; a change to the schema is a new file. Files are written in the
// SQL both SQLite and PostgreSQL accept; the few spellings that differ are
// written as tokens that the store replaces per dialect:
//
//	{{ID}}          an auto-incrementing 64-bit primary key column type
//	{{JSON_NUM:f}}  the number at key f of the data column's JSON (0 if absent)
//
// Times are stored as BIGINT microseconds since the Unix epoch (UTC, 0 for
// the zero time) so both dialects round-trip them identically.
package migrations
