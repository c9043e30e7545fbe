// Package archive checks and rewrites the tar archives users copy into
// containers (put_archive) before they reach the engine: entries that
// would climb out of the destination are refused, device nodes refused,
// set-id bits and owners dropped, sizes capped. It imports only the
// standard library and errdefs.
package archive
